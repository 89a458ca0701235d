"""Need-to-know conditions compiled once per user's ids and reused (``cases.core.queries``).

Building and compiling the conditions that keep an agency's staff to their cases cost
more than running them on a list page: an ``EXISTS`` per row with its sub-selects is
some hundred ORM objects to build, resolve and compile for every query of every page
(bench/README.md). The statements here are compiled by the ORM once for each set of
ids they are built from — the functions that build them read nothing but their
arguments, so a statement can never be another user's — and reused with the time now
and the outer row's column put in their places.

- ``compiled_subselect``: an uncorrelated sub-select, for ``… IN (…)``.
- ``compiled_exists``: ``EXISTS (…)`` about one column of the outer row (its id, its
  person's …), written as ``Exists`` would write it.
- ``compiled_rows``: the rows of a whole ``values_list`` query (a list page's), read
  with today's date where ``TODAY_MARK`` is. The sub-selects above that it holds are
  compiled into it with their time marked, so the time now is put in at each read.
"""

from __future__ import annotations

import contextvars
import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import BooleanField, F, Model, QuerySet
from django.db.models.expressions import Expression, RawSQL
from django.utils import timezone

# Stand for the time now and for the outer row's column in a compiled statement: a
# moment and a number no row holds.
NOW_MARK = datetime.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)
OUTER_MARK = 7_318_204_659
# Stands for today's date in a compiled list query.
TODAY_MARK = datetime.date(1901, 2, 3)
_NOW = object()
_OUTER = object()
_TODAY = object()
# Set while a statement is compiled: the sub-selects it holds then write the time mark,
# not the time, so that the statement is the same at every read.
_compiling: contextvars.ContextVar[bool] = contextvars.ContextVar("compiling", default=False)


def _connection() -> Any:
    return connections[DEFAULT_DB_ALIAS]


def _marked(
    params: tuple[Any, ...], marks: dict[object, Any], once: frozenset[object]
) -> tuple[Any, ...]:
    """The parameters with each mark's value replaced by its token. Each mark of
    ``once`` (those among the statement's arguments) must be there once, or the statement
    would not be the one its arguments describe; the time may also come from the
    compiled sub-selects it holds."""
    out = []
    found = dict.fromkeys(marks, 0)
    for p in params:
        for token, value in marks.items():
            if type(p) is type(value) and p == value:
                out.append(token)
                found[token] += 1
                break
        else:
            out.append(p)
    if any(found[token] != 1 for token in once if token is not _NOW) or (
        _NOW in once and not found[_NOW]
    ):
        raise AssertionError(f"each mark must be in the statement once: {found}")
    return tuple(out)


def _marks(args: tuple[Any, ...], exists: bool) -> tuple[dict[object, Any], frozenset[object]]:
    """The marks a statement of ``args`` may hold (their values as parameters), and those
    it must hold."""
    ops = _connection().ops
    marks = {
        _NOW: ops.adapt_datetimefield_value(NOW_MARK),
        _TODAY: ops.adapt_datefield_value(TODAY_MARK),
    }
    once = {token for token, mark in ((_NOW, NOW_MARK), (_TODAY, TODAY_MARK)) if mark in args}
    if exists:
        marks[_OUTER] = OUTER_MARK
        once.add(_OUTER)
    return marks, frozenset(once)


def _cut(sql: str, tokens: tuple[Any, ...]) -> tuple[str, ...]:
    pieces = sql.split("%s")
    if len(pieces) != len(tokens) + 1:
        raise AssertionError("the statement's placeholders are not its parameters")
    return tuple(pieces)


def _built(build: Callable[..., QuerySet], args: tuple[Any, ...]) -> QuerySet:
    """``build(*args)``, the sub-selects it holds writing the time mark."""
    mark = _compiling.set(True)
    try:
        return build(*args)
    finally:
        _compiling.reset(mark)


@functools.lru_cache(maxsize=8192)
def _compile(
    build: Callable[..., QuerySet], args: tuple[Any, ...], exists: bool, vendor: str
) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """(the statement cut where the outer column goes, its parameters with tokens)."""
    qs = _built(build, args)
    query = qs.query.exists() if exists else qs.query.clone()
    # Every table of the statement under an alias of its own, so that no table of the
    # query it is put in (whose column the outer mark stands for) can be taken for one
    # of its own: a query of cases with an EXISTS on cases would otherwise compare the
    # inner case with itself.
    query.change_aliases({alias: f"NK{pos}" for pos, alias in enumerate(query.alias_map)})
    sql, params = query.get_compiler(DEFAULT_DB_ALIAS).as_sql()
    if exists:
        sql = f"EXISTS({sql})"
    tokens = _marked(tuple(params), *_marks(args, exists))
    return _cut(sql, tokens), tokens


def _now() -> Any:
    now = NOW_MARK if _compiling.get() else timezone.now()
    return _connection().ops.adapt_datetimefield_value(now)


def compiled_subselect(build: Callable[..., QuerySet], *args: Any) -> RawSQL:
    """``build(*args)``'s statement, compiled once for these arguments, with the time now
    where ``NOW_MARK`` is (if it is one of them)."""
    pieces, tokens = _compile(build, args, False, _connection().vendor)
    now = _now()
    params = tuple(now if t is _NOW else t for t in tokens)
    # The ORM's own statement, every value a parameter.
    return RawSQL("%s".join(pieces), params)  # noqa: S611


def compiled_exists(build: Callable[..., QuerySet], column: str, *args: Any) -> CompiledExists:
    """``Exists(build(*args))``, compiled once for these arguments, with ``column`` of the
    outer row where ``OUTER_MARK`` is and the time now where ``NOW_MARK`` is."""
    pieces, tokens = _compile(build, args, True, _connection().vendor)
    return CompiledExists(pieces, tokens, F(column), _now())


class CompiledExists(Expression):
    """``EXISTS (…)`` compiled beforehand, with the outer row's column and the time now
    put in their places when the query that uses it is compiled."""

    conditional = True
    output_field = BooleanField()

    def __init__(
        self, pieces: tuple[str, ...], tokens: tuple[Any, ...], column: Any, now: Any
    ) -> None:
        super().__init__(output_field=BooleanField())
        self.pieces, self.tokens, self.column, self.now = pieces, tokens, column, now

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column_sql, column_params = compiler.compile(self.column)
        sql = [self.pieces[0]]
        params: list[Any] = []
        for token, piece in zip(self.tokens, self.pieces[1:], strict=True):
            if token is _OUTER:
                sql.append(column_sql)
                params.extend(column_params)
            else:
                sql.append("%s")
                params.append(self.now if token is _NOW else token)
            sql.append(piece)
        return "".join(sql), params


@dataclass(frozen=True)
class _Rows:
    """A list query compiled: its statement cut at the marks, its parameters with
    tokens, its model (for the database it is read from) and each column's converters."""

    sql: str
    tokens: tuple[Any, ...]
    model: type[Model]
    width: int  # the columns asked for (the statement may add some to order by)
    # (column, its converters, its expression) for each column that has any
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


@functools.lru_cache(maxsize=2048)
def _compile_rows(build: Callable[..., QuerySet], args: tuple[Any, ...], vendor: str) -> _Rows:
    qs = _built(build, args)
    compiler = qs.query.get_compiler(DEFAULT_DB_ALIAS)
    sql, params = compiler.as_sql()
    tokens = _marked(tuple(params), *_marks(args, False))
    _cut(sql, tokens)
    converters = compiler.get_converters([column for column, _sql, _alias in compiler.select])
    return _Rows(
        sql,
        tokens,
        qs.model,
        compiler.col_count,
        tuple((pos, tuple(funcs), expr) for pos, (funcs, expr) in converters.items()),
    )


def compiled_rows(build: Callable[..., QuerySet], *args: Any) -> list[tuple[Any, ...]]:
    """The rows of ``build(*args)`` (a ``values_list`` query), its statement compiled
    once for these arguments, with the time now where ``NOW_MARK`` is and today's date
    where ``TODAY_MARK`` is. Read from the database the ORM would read its model from."""
    rows = _compile_rows(build, args, _connection().vendor)
    alias = router.db_for_read(rows.model)
    connection = connections[alias]
    values = {
        _NOW: connection.ops.adapt_datetimefield_value(timezone.now()),
        _TODAY: connection.ops.adapt_datefield_value(timezone.localdate()),
    }
    params = tuple(values[t] if t is _NOW or t is _TODAY else t for t in rows.tokens)
    with connection.cursor() as cursor:
        cursor.execute(rows.sql, params)
        fetched = cursor.fetchall()
    width = rows.width
    if not rows.converters:
        return [tuple(row[:width]) for row in fetched]
    out = []
    for row in fetched:
        row = list(row[:width])
        for pos, funcs, expression in rows.converters:
            for func in funcs:
                row[pos] = func(row[pos], expression, connection)
        out.append(tuple(row))
    return out
