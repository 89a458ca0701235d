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
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, models
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


def user_fields(path: str) -> dict[str, str]:
    """The fields ``<path>_display_name`` … that ``str(user)`` needs of the user at
    ``path``; the kind names ``<path>_id`` itself (see ``user_from``)."""
    from municipalities.models import User

    return {f"{path}_{name}": f"{path}{LOOKUP_SEP}{name}" for name in User.NAME_FIELDS}


def user_from(row: Row, path: str) -> Any:
    """The user of ``<path>_id`` and ``user_fields(path)`` (None without one), for
    ``str()`` in the template."""
    from municipalities.models import User

    names = (getattr(row, f"{path}_{name}") for name in User.NAME_FIELDS)
    return User.from_names(getattr(row, f"{path}_id"), names)


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


def _union(kinds: list[RowKind]) -> tuple[QuerySet, dict[str, list[tuple[str, str]]]]:
    """The one ``UNION ALL`` of ``kinds``, and each kind's [(column, named field)]."""
    named: dict[str, list[tuple[str, str]]] = {}
    branches = []
    for kind in kinds:
        columns = _columns(kind)
        named[kind.key] = [(_PREFIX + column, name) for column, name in columns.items()]
        branches.append(_branch(kind, columns))
    first, *others = branches
    return (first.union(*others, all=True) if others else first), named


def _built(
    builds: dict[str, Callable[[Row], Any]],
    named: dict[str, list[tuple[str, str]]],
    raws: Iterable[dict[str, Any]],
) -> dict[str, list[Any]]:
    """Each raw row of the union built by its kind's ``build`` ({key: build}, in the
    kinds' order): {key: [built row, …]}, every key present."""
    built: dict[str, list[Any]] = {key: [] for key in builds}
    for raw in raws:
        key = raw[_PREFIX + "kind"]
        row = Row(pk=raw[_PREFIX + "pk"], **{name: raw[column] for column, name in named[key]})
        built[key].append(builds[key](row))
    return built


def _builds(kinds: list[RowKind]) -> dict[str, Callable[[Row], Any]]:
    return {kind.key: kind.build for kind in kinds}


def read_rows(kinds: list[RowKind]) -> dict[str, list[Any]]:
    """All kinds in one statement: {key: [built row, …]} in the database's order."""
    if not kinds:
        return {}
    qs, named = _union(kinds)
    return _built(_builds(kinds), named, qs)


# --- one case's rows, the statement compiled once per shape ----------------------------
#
# Building the union's branches and compiling them cost the case page more than running
# the statement (bench/README.md). A case's kinds differ from another case's only in the
# case's own ids, so the statement is compiled once for a stand-in case whose ids are
# marks no row has, and every later case of the same shape runs it with its ids in their
# places, without building its kinds again. A kind that read anything else of the case
# (its status, a date) would make a statement that does not suit every case: the stand-in
# has nothing else loaded and reading it fails, and the first case of each shape is
# compiled both ways and compared (the statement, and each kind's key and ``build``), so
# such a shape is never cached (each of its requests builds and compiles, as
# ``read_rows``).

# The case's fields a kind may filter by; each is a mark in the stand-in (None stays None).
CASE_IDS = ("id", "municipality_id", "household_id", "person_id")
_MARKS = {name: -7_200_000_000_000_000 - i for i, name in enumerate(CASE_IDS)}
_CACHE_SIZE = 64


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    marks: dict[int, str]  # parameter position: the case field whose value goes there
    names: tuple[str, ...]  # the union's columns, in order
    converters: dict[int, tuple[list[Any], Any]]  # as the union's own compiler's
    named: dict[str, list[tuple[str, str]]]
    builds: dict[str, Callable[[Row], Any]]  # each kind's key and build, in order


_compiled: dict[tuple, _Compiled | None] = {}
log = logging.getLogger(__name__)


def read_case_rows(
    case: models.Model, kinds_of: Callable[[Any], list[RowKind]], key: Any
) -> dict[str, list[Any]]:
    """``read_rows(kinds_of(case))``, with the statement compiled once per ``key`` (what
    else the kinds depend on, e.g. how many rows a page shows), day and shape of the case
    (which of its ids are empty). ``kinds_of`` is called only when the shape's statement
    is not kept: it may depend on nothing of the case but its ids."""
    shape = (
        connection.alias,
        key,
        timezone.localdate(),
        tuple(getattr(case, name) is None for name in CASE_IDS),
    )
    kinds = None
    if shape not in _compiled:
        kinds = kinds_of(case)
        if len(_compiled) >= _CACHE_SIZE:
            _compiled.pop(next(iter(_compiled)))
        _compiled[shape] = _compile_for_any_case(case, kinds_of, kinds) if kinds else None
    compiled = _compiled[shape]
    if compiled is None:
        return read_rows(kinds if kinds is not None else kinds_of(case))
    params = list(compiled.params)
    for position, name in compiled.marks.items():
        params[position] = getattr(case, name)
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchall()
    raws = []
    for row in rows:
        values = list(row)
        for position, (converters, expression) in compiled.converters.items():
            for convert in converters:
                values[position] = convert(values[position], expression, connection)
        raws.append(dict(zip(compiled.names, values, strict=True)))
    return _built(compiled.builds, compiled.named, raws)


def _compile(qs: QuerySet) -> tuple[str, list[Any], Any]:
    compiler = qs.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    return sql, list(params), compiler


def _compile_for_any_case(
    case: models.Model, kinds_of: Callable[[Any], list[RowKind]], kinds: list[RowKind]
) -> _Compiled | None:
    """The union compiled for a stand-in of ``case``, checked against ``case``'s own; None
    when the kinds depend on more of the case than its ids."""
    model = type(case)
    ids = {name: None if getattr(case, name) is None else mark for name, mark in _MARKS.items()}
    # ``from_db`` takes the values in the order of the model's fields.
    names = [f.attname for f in model._meta.concrete_fields if f.attname in ids]
    stand_in = model.from_db(connection.alias, names, [ids[name] for name in names])
    if any(getattr(stand_in, name) != value for name, value in ids.items()):
        raise ValueError(f"{model.__name__} has no field for every one of {CASE_IDS}")
    try:
        stand_in_kinds = kinds_of(stand_in)
    except ObjectDoesNotExist:
        # A kind read a field the stand-in does not have, or a record through one of its
        # ids (``case.person``), which no row has.
        log.info("case rows of %s read more of the case than its ids: not cached", model)
        return None
    qs, named = _union(stand_in_kinds)
    sql, params, compiler = _compile(qs)
    marks = {
        position: name
        for position, value in enumerate(params)
        for name, mark in _MARKS.items()
        if isinstance(value, int) and value == mark
    }
    own_sql, own_params, _compiler = _compile(_union(kinds)[0])
    as_case = list(params)
    for position, name in marks.items():
        as_case[position] = getattr(case, name)
    builds = _builds(stand_in_kinds)
    same_builds = list(builds.items()) == list(_builds(kinds).items())
    if own_sql != sql or own_params != as_case or not same_builds:
        log.info("case rows of %s depend on more than the case's ids: not cached", model)
        return None
    fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
    query = qs.query
    columns = (*query.extra_select, *query.values_select, *query.annotation_select)
    return _Compiled(
        sql=sql,
        params=tuple(params),
        marks=marks,
        names=tuple(columns),
        converters=compiler.get_converters(fields),
        named=named,
        builds=builds,
    )
