"""Participation support (参加支援事業) as it declares itself in ``cases.registry``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cases.registry import Program, register_program, register_supporter_provider
from municipalities.models import Role

PROGRAM = "participation"


def register() -> None:
    from participation.queries import case_timeline
    from participation.services import anonymise_for_retention
    from participation.supporters import case_supporters

    register_program(
        Program(
            key=PROGRAM,
            label=_("Participation support"),  # 参加支援
            order=20,
            staff_role=Role.COORDINATOR,
            receiving_roles=(Role.COORDINATOR, Role.MANAGER),
            flag_audience=Role.COORDINATOR,
            timeline=case_timeline,
            anonymiser=anonymise_for_retention,
            demo="demo.participation:seed_participation",
            demo_order=30,
        )
    )
    register_supporter_provider(case_supporters)
