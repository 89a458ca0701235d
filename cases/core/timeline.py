"""The rows of the case page in one statement.

Every section of the case page that lists rows by case (the timeline's kinds, plans,
referrals, household members, flags, issues and agencies) is one ``values()`` queryset
with the same columns (``ROW_COLUMNS``); the case page reads them all with one
``UNION ALL`` and turns each row back into what the template shows. The program apps add
their own kinds through ``cases.registry.register_timeline``.

A column a kind does not use is a typed NULL, so that every branch of the union has the
same column types on PostgreSQL and the first branch gives SQLite the right converters.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Expression, F, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone


class TypedNull(Expression):
    """NULL of a given type: ``NULL::type`` on PostgreSQL, which resolves a union's column
    types branch by branch (a bare NULL there is text); plain NULL elsewhere."""

    def __init__(self, output_field: models.Field) -> None:
        super().__init__(output_field=output_field)

    def resolve_expression(self, *args: Any, **kwargs: Any) -> TypedNull:
        return self  # nothing to resolve: no columns, no parameters

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return "NULL", []

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return f"NULL::{self.output_field.cast_db_type(connection)}", []


# name -> the type of the column in every branch.
ROW_COLUMNS: dict[str, models.Field] = {
    "kind": models.CharField(),
    "pk": models.BigIntegerField(),
    "ref": models.BigIntegerField(),
    "num": models.IntegerField(),
    "at": models.DateTimeField(),
    "at2": models.DateTimeField(),
    "at3": models.DateTimeField(),
    "day": models.DateField(),
    "day2": models.DateField(),
    "day3": models.DateField(),
    "yes": models.BooleanField(),
    "yes2": models.BooleanField(),
    **{f"t{i}": models.TextField() for i in range(1, 11)},
}
_PREFIX = "row_"
_NULLS = {name: TypedNull(field) for name, field in ROW_COLUMNS.items()}

# Most rows of one growing kind (consultations, status changes, session logs, concerns)
# read for one page of the timeline.
TIMELINE_PAGE = 50


def case_rows(qs: QuerySet, key: str, **columns: Any) -> QuerySet:
    """``qs`` as rows of kind ``key`` for the union: ``columns`` maps column names of
    ``ROW_COLUMNS`` to field paths or expressions of the column's type (text columns take
    char and text fields; ``as_text`` anything else); the others are NULL."""
    unknown = set(columns) - set(ROW_COLUMNS) | ({"kind"} & set(columns))
    if unknown:
        raise ValueError(f"unknown row columns: {sorted(unknown)}")
    select: dict[str, Any] = {}
    for name in ROW_COLUMNS:
        if name == "kind":
            expr: Any = Value(key, output_field=models.CharField())
        elif name in columns:
            expr = columns[name]
            if isinstance(expr, str):
                expr = F(expr)
        else:
            expr = _NULLS[name]
        select[_PREFIX + name] = expr
    return qs.order_by().values(**select)


def as_text(path: str) -> Cast:
    """A non-text field (e.g. JSON) for a text column."""
    return Cast(path, models.TextField())


def newest(qs: QuerySet, order: str, limit: int | None) -> QuerySet:
    """The ``limit`` newest rows of ``qs`` by ``order`` (all when ``limit`` is None), as a
    filter so that the queryset can still be a branch of a union."""
    if limit is None:
        return qs
    return qs.filter(pk__in=qs.order_by(f"-{order}", "-pk").values("pk")[:limit])


def at_hour(day: datetime.date, hour: int) -> datetime.datetime:
    """A day shown on the timeline at a fixed local hour."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def user_columns(path: str, first: int) -> dict[str, str]:
    """Text columns t<first>… holding what ``str(user)`` needs."""
    names = ("display_name", "first_name", "last_name", "username")
    return {f"t{first + i}": f"{path}__{name}" for i, name in enumerate(names)}


def user_from(row: dict[str, Any], ref: str, first: int) -> Any:
    """The user of ``user_columns`` (None without one), for ``str()`` in the template."""
    from municipalities.models import User

    pk = row[ref]
    if pk is None:
        return None
    values = [row[f"t{first + i}"] or "" for i in range(4)]
    return User(
        pk=pk, display_name=values[0], first_name=values[1], last_name=values[2], username=values[3]
    )


@dataclass(frozen=True)
class RowKind:
    """One kind of row: its queryset (``case_rows``) and how a row becomes what the
    page shows (``build``, given the row with the ``row_`` prefix removed)."""

    key: str
    rows: QuerySet
    build: Callable[[dict[str, Any]], Any]


def read_rows(kinds: list[RowKind]) -> dict[str, list[Any]]:
    """All kinds in one statement: {key: [built row, …]} in the database's order."""
    built: dict[str, list[Any]] = {k.key: [] for k in kinds}
    if not kinds:
        return built
    by_key = {k.key: k for k in kinds}
    first, *others = (k.rows for k in kinds)
    qs = first.union(*others, all=True) if others else first
    cut = len(_PREFIX)
    for raw in qs:
        row = {name[cut:]: value for name, value in raw.items()}
        built[row["kind"]].append(by_key[row["kind"]].build(row))
    return built
