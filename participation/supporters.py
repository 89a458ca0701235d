"""The menus a case's person takes part in, as supporters on the case's ecomap
(``cases.registry.register_supporter_provider``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cases.core import Row, RowKind
from cases.registry import Supporter
from participation.models import Assignment


def _supporter(row: Row) -> Supporter:
    kind = _("Participation support")
    if row.provider:
        kind = f"{kind}・{row.provider}"
    return Supporter(f"participation.menu:{row.menu_id}", row.menu or "", kind)


def case_supporters(case: Any) -> list[RowKind]:
    """Menus of the case's assignments that have not ended."""
    assignments = Assignment.objects.filter(
        case=case, municipality_id=case.municipality_id
    ).exclude(status=Assignment.Status.ENDED)
    return [
        RowKind(
            "participation.menu",
            assignments,
            {"menu_id": "menu_id", "menu": "menu__name", "provider": "menu__provider__name"},
            _supporter,
        )
    ]
