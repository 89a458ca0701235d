"""The rows of the case page in one statement.

Every section of the case page that lists rows by case (the timeline's kinds, plans,
referrals, household members, flags, issues and agencies) is a ``RowKind``: a queryset
and the named fields the page needs of it. The case page reads all kinds with one
``UNION ALL`` whose branches share the physical columns ``ROW_COLUMNS``; this module
alone knows which column holds which named field, and hands each kind's builder a
``Row`` with the names it declared. The program apps add their own kinds as the
``timeline`` of their ``cases.registry.Program``.

A column a kind does not use is a typed NULL, so that every branch of the union has the
same column types on PostgreSQL and the first branch gives SQLite the right converters.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db import models
from django.db.models import Expression, F, QuerySet, Value
from django.db.models.constants import LOOKUP_SEP
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
# The columns that hold a kind's named fields, by the type of the field, handed out in the
# order the kind names its fields. ``kind`` and ``pk`` are every row's own.
SLOTS: dict[str, tuple[str, ...]] = {
    "int": ("ref", "num"),
    "datetime": ("at", "at2", "at3"),
    "date": ("day", "day2", "day3"),
    "bool": ("yes", "yes2"),
    "text": tuple(f"t{i}" for i in range(1, 11)),
}
_PREFIX = "row_"
_NULLS = {name: TypedNull(field) for name, field in ROW_COLUMNS.items()}

# Most rows of one growing kind (consultations, status changes, session logs, concerns)
# read for one page of the timeline.
TIMELINE_PAGE = 50


class Row(SimpleNamespace):
    """One row of a kind as its builder reads it: ``pk`` and the kind's named fields."""


@dataclass(frozen=True)
class RowKind:
    """One kind of row of the case page.

    ``rows``: the queryset (a filter of one model, no ``values()``); ``fields``: the
    named fields the page needs of each row, name -> field path (``"method__name"``,
    ``"staff_id"``) or an expression with an ``output_field`` (``as_text(...)``); the
    type of the field decides which column of the union holds it. ``build`` turns a
    ``Row`` (``row.pk`` and ``row.<name>``) into what the page shows.
    """

    key: str
    rows: QuerySet
    fields: dict[str, str | Expression]
    build: Callable[[Row], Any]


def as_text(path: str) -> Cast:
    """A non-text field (e.g. JSON) as a text field."""
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


_USER_NAMES = ("display_name", "first_name", "last_name", "username")


def user_fields(path: str) -> dict[str, str]:
    """The fields ``<path>_display_name`` … that ``str(user)`` needs of the user at
    ``path``; the kind names ``<path>_id`` itself (see ``user_from``)."""
    return {f"{path}_{name}": f"{path}{LOOKUP_SEP}{name}" for name in _USER_NAMES}


def user_from(row: Row, path: str) -> Any:
    """The user of ``<path>_id`` and ``user_fields(path)`` (None without one), for
    ``str()`` in the template."""
    from municipalities.models import User

    pk = getattr(row, f"{path}_id")
    if pk is None:
        return None
    names = {name: getattr(row, f"{path}_{name}") or "" for name in _USER_NAMES}
    return User(pk=pk, **names)


def _field_at(model: type[models.Model], path: str) -> models.Field:
    """The model field a ``values()`` path ends at, through foreign keys to the field
    they point to (``staff_id`` is an integer, ``method__name`` text)."""
    *hops, last = path.split(LOOKUP_SEP)
    for hop in hops:
        model = model._meta.get_field(hop).related_model
    field = model._meta.pk if last == "pk" else model._meta.get_field(last)
    while isinstance(field, models.ForeignKey):
        field = field.target_field
    return field


def _slot_type(field: models.Field) -> str | None:
    """Which ``SLOTS`` hold a value of ``field`` (None: no column of the union can)."""
    if isinstance(field, models.DateTimeField):  # before DateField, its parent
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.IntegerField):
        return "int"
    if isinstance(field, models.CharField | models.TextField):
        return "text"
    return None


def _columns(kind: RowKind) -> dict[str, str]:
    """{column: named field} of ``kind``: each field in the next free column of its
    type. Raises ValueError for a field no column can hold or more fields of a type
    than there are columns."""
    taken: dict[str, list[str]] = {slot_type: [] for slot_type in SLOTS}
    for name, source in kind.fields.items():
        if name in ("kind", "pk") or not name.isidentifier():
            raise ValueError(f"row kind {kind.key!r}: {name!r} cannot name a field")
        field = (
            _field_at(kind.rows.model, source) if isinstance(source, str) else source.output_field
        )
        slot_type = _slot_type(field)
        if slot_type is None:
            raise ValueError(
                f"row kind {kind.key!r}: {name!r} is a {type(field).__name__}, which no "
                "column of the union holds (as_text() makes it text)"
            )
        taken[slot_type].append(name)
    columns = {}
    for slot_type, names in taken.items():
        slots = SLOTS[slot_type]
        if len(names) > len(slots):
            raise ValueError(
                f"row kind {kind.key!r} needs {len(names)} {slot_type} fields, the union has "
                f"{len(slots)} columns for them ({', '.join(slots)}): {', '.join(names)}"
            )
        columns.update(zip(slots, names, strict=False))
    return columns


def _branch(kind: RowKind, columns: dict[str, str]) -> QuerySet:
    """``kind``'s rows in every column of ``ROW_COLUMNS`` (NULL where it has no field)."""
    select: dict[str, Any] = {}
    for column in ROW_COLUMNS:
        if column == "kind":
            expr: Any = Value(kind.key, output_field=models.CharField())
        elif column == "pk":
            expr = F("pk")
        elif column in columns:
            source = kind.fields[columns[column]]
            expr = F(source) if isinstance(source, str) else source
        else:
            expr = _NULLS[column]
        select[_PREFIX + column] = expr
    return kind.rows.order_by().values(**select)


def read_rows(kinds: list[RowKind]) -> dict[str, list[Any]]:
    """All kinds in one statement: {key: [built row, …]} in the database's order."""
    built: dict[str, list[Any]] = {k.key: [] for k in kinds}
    if not kinds:
        return built
    by_key: dict[str, tuple[RowKind, list[tuple[str, str]]]] = {}
    branches = []
    for kind in kinds:
        columns = _columns(kind)
        by_key[kind.key] = kind, [(_PREFIX + column, name) for column, name in columns.items()]
        branches.append(_branch(kind, columns))
    first, *others = branches
    qs = first.union(*others, all=True) if others else first
    for raw in qs:
        kind, named = by_key[raw[_PREFIX + "kind"]]
        row = Row(pk=raw[_PREFIX + "pk"], **{name: raw[column] for column, name in named})
        built[kind.key].append(kind.build(row))
    return built
