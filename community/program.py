"""Community building (地域づくり事業) as it declares itself in ``cases.registry``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cases.registry import (
    CaseLink,
    FlagSubject,
    Program,
    register_program,
    register_supporter_provider,
)
from municipalities.models import Role

PROGRAM = "community"


def register() -> None:
    from community.queries import case_timeline
    from community.services import anonymise_for_retention
    from community.supporters import case_supporters

    register_program(
        Program(
            key=PROGRAM,
            label=_("Community building"),  # 地域づくり
            order=30,
            staff_role=Role.COMMUNITY_WORKER,
            receiving_roles=(Role.COMMUNITY_WORKER, Role.MANAGER),
            flag_audience=Role.COMMUNITY_WORKER,
            case_links=(CaseLink(_("Link to a place or activity"), "community:case_place_add"),),
            # A resident's concern (気づき) exists before any case.
            flag_subjects=(
                FlagSubject("concern", _("Concern"), "community:concern_detail", per_case=False),
            ),
            timeline=case_timeline,
            anonymiser=anonymise_for_retention,
            demo="demo.community:seed_community",
            demo_order=40,
        )
    )
    register_supporter_provider(case_supporters)
