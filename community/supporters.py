"""The places and activities a case's person goes to, as supporters on the case's ecomap
(``cases.registry.register_supporter_provider``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cases.core import Row, RowKind
from cases.registry import Supporter
from community.models import CasePlace, Place


def _supporter(row: Row) -> Supporter:
    kinds = dict(Place.Kind.choices)
    kind = str(kinds.get(row.place_kind, _("Community place")))
    return Supporter(f"community.place:{row.place_id}", row.name or "", kind)


def case_supporters(case: Any) -> list[RowKind]:
    """Places the case is linked to, while the link lasts."""
    links = CasePlace.objects.filter(
        case=case, municipality_id=case.municipality_id, ended_on__isnull=True
    )
    return [
        RowKind(
            "community.place",
            links,
            {"place_id": "place_id", "name": "place__name", "place_kind": "place__kind"},
            _supporter,
        )
    ]
