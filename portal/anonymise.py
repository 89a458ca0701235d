"""What anonymisation writes over personal text, and how: shared by the anonymisers of
every app (``cases.core.retention`` runs them; each program registers its own)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case as CaseWhen
from django.db.models import Q, QuerySet, Value, When

MARKER = "（匿名化済み）"


def blank_text(qs: QuerySet, fields: Iterable[str], value: str = MARKER) -> int:
    """Replace non-empty values of ``fields`` by ``value`` (empty ones stay empty), in one
    UPDATE of the rows that still hold some text. Returns the number of rows changed."""
    fields = list(fields)
    holds_text = Q()
    for name in fields:
        holds_text |= ~Q(**{name: ""}) & ~Q(**{name: value})
    return qs.filter(holds_text).update(
        **{
            name: CaseWhen(When(**{name: ""}, then=Value("")), default=Value(value))
            for name in fields
        }
    )
