"""Every case rule's query for a few cases, in one statement.

Re-evaluating one case after a save used to run each rule's query filtered to the case,
one statement per rule; most of that time was building and compiling the rules'
querysets in Python, not running them. Here each rule's own query (the single source of
truth, as the scan runs it) is filtered to the cases and compiled once per
municipality, day and thresholds; the compiled rules become the branches of one
``UNION ALL``, each rule's columns in slots of their own (typed NULLs in the other
branches), and every later re-evaluation of that municipality on that day runs the
cached statement with its case ids. The rows come back as each rule's own queryset would
give them (the same names, and the same conversions of the database's values).

A rule's query depends only on its arguments (the ``Rule`` API: municipality, date and
thresholds), which is what makes its compiled SQL reusable.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

# Case ids no case has: they mark where the ids go in a compiled statement's parameters.
_MARK = -7_300_000_000_000_000
_CACHE_SIZE = 64


@dataclass(frozen=True)
class _Branch:
    code: str
    names: tuple[str, ...]  # the rule's row keys, in column order
    start: int  # its first column in the combined row
    converters: dict[int, tuple[list[Any], Any]]  # as the rule's own compiler's


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    marks: dict[int, int]  # parameter position: index of the case id that goes there
    branches: tuple[_Branch, ...]


_cache: dict[tuple, _Statement] = {}


def case_matches(
    municipality_id: int,
    as_of: datetime.date,
    rules: list[tuple[Any, dict[str, int]]],
    case_ids: list[int],
) -> dict[str, list[dict[str, Any]]]:
    """{rule code: the rows of the rule's query for ``case_ids``} for the ``(rule,
    thresholds)`` given, in one statement."""
    if not rules:
        return {}
    key = (
        connection.alias,
        municipality_id,
        as_of,
        len(case_ids),
        tuple((rule.code, id(rule), tuple(sorted(params.items()))) for rule, params in rules),
    )
    statement = _cache.get(key)
    if statement is None:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        statement = _cache[key] = _compile(municipality_id, as_of, rules, len(case_ids))
    with connection.cursor() as cursor:
        if _can_prepare():
            _execute_prepared(cursor, key, statement, case_ids)
        else:
            params = list(statement.params)
            for position, index in statement.marks.items():
                params[position] = case_ids[index]
            cursor.execute(statement.sql, params)
        rows = cursor.fetchall()
    result: dict[str, list[dict[str, Any]]] = {b.code: [] for b in statement.branches}
    for row in rows:
        branch = statement.branches[row[0]]
        values = list(row[branch.start : branch.start + len(branch.names)])
        for position, (converters, expression) in branch.converters.items():
            for convert in converters:
                values[position] = convert(values[position], expression, connection)
        result[branch.code].append(dict(zip(branch.names, values, strict=True)))
    return result


def _can_prepare() -> bool:
    """A server-side prepared statement: on PostgreSQL, unless behind a pooler that may
    give each transaction another server connection (``DATABASE_PGBOUNCER``)."""
    return connection.vendor == "postgresql" and not connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    )


def _execute_prepared(cursor: Any, key: tuple, statement: _Statement, case_ids: list[int]) -> None:
    """Run ``statement`` as a prepared statement of this database session, preparing it on
    first use: PostgreSQL then plans it once instead of for every case, and planning the
    rules is most of a statement that reads a few rows (bench/README.md).

    The statement's own parameters are written into it; only the case ids are
    parameters of the prepared statement. The names prepared are remembered per server
    connection (a new connection prepares again) and dropped past ``_CACHE_SIZE``. A
    prepared statement outlives a rollback; the plan setting does not, and a statement
    prepared in a transaction that rolled back is then planned as PostgreSQL chooses
    (still correct, planned more often)."""
    from psycopg2.extensions import AsIs

    raw = connection.connection
    prepared = getattr(connection, "_rules_prepared", None)
    if prepared is None or prepared[0] is not raw:
        prepared = connection._rules_prepared = (raw, {})  # type: ignore[attr-defined]
    names: dict[tuple, str] = prepared[1]
    name = names.get(key)
    if name is None:
        if len(names) >= _CACHE_SIZE:
            cursor.execute("DEALLOCATE ALL")
            names.clear()
        name = f"case_rules_{len(names)}_{abs(hash(key)) % 10**9}"
        params = list(statement.params)
        for position, index in statement.marks.items():
            params[position] = AsIs(f"${index + 1}")
        types = ", ".join(["bigint"] * len(case_ids))
        # Planned once for any case (a generic plan: the case ids are compared by
        # primary or foreign key, so one plan suits every case), not for each of the
        # first few runs. The setting applies to prepared statements only, and this
        # module prepares the session's only ones (psycopg2 binds on the client).
        cursor.execute(
            f"SET plan_cache_mode = force_generic_plan; "
            f"PREPARE {name} ({types}) AS {statement.sql}",
            params,
        )
        names[key] = name
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(case_ids))})", case_ids)


def _row_names(qs: QuerySet) -> tuple[str, ...]:
    """The keys of the rule's ``.values()`` rows, in column order (as ``ValuesIterable``)."""
    query = qs.query
    if query.selected:
        return tuple(query.selected)
    return (*query.extra_select, *query.values_select, *query.annotation_select)


def _compile(
    municipality_id: int,
    as_of: datetime.date,
    rules: list[tuple[Any, dict[str, int]]],
    cases: int,
) -> _Statement:
    marks_ids = [_MARK - i for i in range(cases)]
    ctes, parts, params = [], [], []
    slots: list[str] = []  # the cast type of every column after the branch number
    owners: list[int] = []  # the branch each column belongs to
    branches = []
    for index, (rule, rule_params) in enumerate(rules):
        qs = rule.query(municipality_id, as_of, rule_params).filter(flag_case__in=marks_ids)
        compiler = qs.query.get_compiler(connection=connection)
        sql, sql_params = compiler.as_sql()
        expressions = [column[0] for column in compiler.select]
        names = _row_names(qs)
        if len(names) != len(expressions):
            raise ValueError(f"rule {rule.code}: its columns could not be named")
        columns = ", ".join(f"c{i}" for i in range(len(names)))
        ctes.append(f"r{index} ({columns}) AS ({sql})")
        params.extend(sql_params)
        branches.append(
            _Branch(
                code=rule.code,
                names=names,
                start=1 + len(slots),
                converters=compiler.get_converters(expressions),
            )
        )
        for expression in expressions:
            slots.append(expression.output_field.cast_db_type(connection))
            owners.append(index)
    for index, branch in enumerate(branches):
        columns = [str(index)]
        for slot, (cast, owner) in enumerate(zip(slots, owners, strict=True)):
            own = slot - (branch.start - 1)
            columns.append(f"r{index}.c{own}" if owner == index else f"CAST(NULL AS {cast})")
        parts.append(f"SELECT {', '.join(columns)} FROM r{index}")  # noqa: S608
    sql = f"WITH {', '.join(ctes)} {' UNION ALL '.join(parts)}"
    marks = {}
    for position, value in enumerate(params):
        if _is_mark(value, marks_ids):
            marks[position] = marks_ids.index(value)
    if len(marks) < len(rules) * cases:
        raise ValueError("a rule's query did not take the case ids as parameters")
    return _Statement(sql=sql, params=tuple(params), marks=marks, branches=tuple(branches))


_rule_cache: dict[tuple, tuple[str, tuple[Any, ...], tuple[int, ...]]] = {}


def rule_sql(
    rule: Any,
    municipality_id: int,
    as_of: datetime.date,
    params: dict[str, int],
    *,
    subjects_only: bool = False,
) -> tuple[str, list[Any]] | None:
    """The SQL and parameters of ``rule``'s query for the municipality (its subjects
    alone with ``subjects_only``), compiled once per day and thresholds for every
    municipality: built for a municipality id no municipality has, which is then
    replaced by the real one among the parameters. Building and compiling a rule's
    queryset cost as much as running it on a small municipality. None when the query
    does not take the municipality as a parameter."""
    key = (
        connection.alias,
        rule.code,
        id(rule),
        as_of,
        tuple(sorted(params.items())),
        subjects_only,
    )
    compiled = _rule_cache.get(key)
    if compiled is None:
        qs = rule.query(_MARK, as_of, params)
        if subjects_only:
            qs = qs.values_list("flag_subject", flat=True)
        sql, sql_params = qs.query.sql_with_params()
        marks = tuple(i for i, value in enumerate(sql_params) if _is_mark(value, [_MARK]))
        if len(_rule_cache) >= _CACHE_SIZE:
            _rule_cache.pop(next(iter(_rule_cache)))
        compiled = _rule_cache[key] = (sql, tuple(sql_params), marks)
    sql, sql_params, marks = compiled
    if not marks:
        return None
    values = list(sql_params)
    for position in marks:
        values[position] = municipality_id
    return sql, values


def rule_subjects(
    rule: Any, municipality_id: int, as_of: datetime.date, params: dict[str, int]
) -> set[int]:
    """The subjects for which ``rule`` holds in the municipality (the scan's steady
    state), by its query compiled once (``rule_sql``)."""
    compiled = rule_sql(rule, municipality_id, as_of, params, subjects_only=True)
    if compiled is None:
        qs = rule.query(municipality_id, as_of, params)
        return set(qs.values_list("flag_subject", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(*compiled)
        return {row[0] for row in cursor.fetchall()}


def _is_mark(value: Any, marks: list[int]) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in marks
