"""Outreach (アウトリーチ等を通じた継続的支援事業) as it declares itself in
``cases.registry``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cases.registry import (
    FlagSubject,
    Program,
    RecordAction,
    register_program,
    register_record_action,
)

PROGRAM = "outreach"


def register() -> None:
    from outreach.queries import case_timeline
    from outreach.services import anonymise_for_retention

    register_program(
        Program(
            key=PROGRAM,
            label=_("Outreach"),  # アウトリーチ等を通じた継続的支援
            order=40,
            referable=False,
            # Someone the team tries to reach exists before any case.
            flag_subjects=(
                FlagSubject(
                    "outreach", _("Outreach target"), "outreach:target_detail", per_case=False
                ),
            ),
            timeline=case_timeline,
            anonymiser=anonymise_for_retention,
            demo="demo.outreach:seed_outreach",
            demo_order=50,
        )
    )
    # A community concern can become someone to reach rather than a case.
    register_record_action(
        RecordAction("concern", _("Reach out instead (outreach)"), "outreach:target_from_concern")
    )
