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
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import Expression, RawSQL
from django.utils import timezone

# Stand for the time now and for the outer row's column in a compiled statement: a
# moment and a number no row holds.
NOW_MARK = datetime.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)
OUTER_MARK = 7_318_204_659
_NOW = object()
_OUTER = object()


def _connection() -> Any:
    return connections[DEFAULT_DB_ALIAS]


def _marked(params: tuple[Any, ...], marks: dict[object, Any]) -> tuple[Any, ...]:
    """The parameters with each mark's value replaced by its token; every mark must be
    there once, or the statement would not be the one its arguments describe."""
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
    if any(n != 1 for n in found.values()):
        raise AssertionError(f"each mark must be in the statement once: {found}")
    return tuple(out)


@functools.lru_cache(maxsize=8192)
def _compile(
    build: Callable[..., QuerySet], args: tuple[Any, ...], exists: bool, vendor: str
) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """(the statement cut where the outer column goes, its parameters with tokens)."""
    connection = _connection()
    qs = build(*args)
    query = qs.query.exists() if exists else qs.query.clone()
    # Every table of the statement under an alias of its own, so that no table of the
    # query it is put in (whose column the outer mark stands for) can be taken for one
    # of its own: a query of cases with an EXISTS on cases would otherwise compare the
    # inner case with itself.
    query.change_aliases({alias: f"NK{pos}" for pos, alias in enumerate(query.alias_map)})
    sql, params = query.get_compiler(DEFAULT_DB_ALIAS).as_sql()
    marks: dict[object, Any] = {}
    if NOW_MARK in args:
        marks[_NOW] = connection.ops.adapt_datetimefield_value(NOW_MARK)
    if exists:
        marks[_OUTER] = OUTER_MARK
        sql = f"EXISTS({sql})"
    tokens = _marked(tuple(params), marks)
    pieces = sql.split("%s")
    if len(pieces) != len(tokens) + 1:
        raise AssertionError("the statement's placeholders are not its parameters")
    return tuple(pieces), tokens


def _now() -> Any:
    return _connection().ops.adapt_datetimefield_value(timezone.now())


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
