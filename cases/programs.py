"""The consultation pillar's own entries in ``cases.registry``: consultation support
itself (包括的相談支援事業, whose caseworkers receive referrals and see every case of
their municipality), the 多機関協働 team as the destination of a hand-over, and the
municipality's support agencies (支援関係機関) as the destination of a referral."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cases.registry import FlagSubject, Program, register_program
from municipalities.models import Role

CONSULTATION = "consultation"
MULTIAGENCY = "multiagency"
AGENCY = "agency"


def register() -> None:
    register_program(
        Program(
            key=CONSULTATION,
            label=_("Consultation support"),  # 包括的相談支援
            order=10,
            receiving_roles=(Role.CASEWORKER, Role.MANAGER),
            flag_audience=Role.CASEWORKER,
            referable=False,
            flag_subjects=(
                FlagSubject("case", _("Case"), "cases:case_detail"),
                FlagSubject("referral", _("Referral"), "cases:referral_detail"),
            ),
            demo="demo.cases:seed_cases",
            demo_order=20,
        )
    )
    register_program(
        Program(
            # 多機関協働事業: an agency or a caseworker hands a tangled case (複雑化・複合化)
            # over to the office's 多機関協働 team, which acknowledges it like any referral.
            key=MULTIAGENCY,
            label=_("Multi-agency collaboration"),  # 多機関協働
            order=15,
            staff_role=Role.MULTIAGENCY,
            receiving_roles=(Role.MULTIAGENCY, Role.MANAGER),
            flag_audience=Role.MULTIAGENCY,
        )
    )
    register_program(
        Program(
            key=AGENCY,
            label=_("Support agency"),  # 支援関係機関
            order=90,
            # An outside agency has no account: a caseworker records its answer.
            receiving_roles=(Role.CASEWORKER, Role.MANAGER),
            flag_audience=Role.CASEWORKER,
        )
    )
