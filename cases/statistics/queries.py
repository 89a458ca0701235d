"""Fiscal-year statistics: how sections and indicators are counted, and the sections of
consultation support. Every program registers its own in ``cases.registry``.

An indicator counts per municipality in one grouped query, so the same function serves
a manager (one municipality) and the national view (every municipality, summed by
prefecture). Sections are detailed tables for one municipality.

The counts may come from a read replica (``portal.replica``): they tolerate its lag.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    Consultation,
    Flag,
    Meeting,
    MeetingCase,
    Referral,
)
from cases.registry import (
    indicators,
    program_label,
    register_section,
    sections_with_parts,
)
from portal.fiscal import fiscal_year_range, reiwa_fiscal_year_label
from portal.replica import reading_from_replica

SMALL_COUNT = 5  # 1–4 are shown as "<5" in tables that span municipalities


@dataclass(frozen=True)
class Period:
    fiscal_year: int
    start: datetime.date
    end: datetime.date

    @classmethod
    def of(
        cls, fiscal_year: int, first_month: int | None = None, last_month: int | None = None
    ) -> Period:
        """The fiscal year, or the months ``first_month``..``last_month`` of it (1–12 as
        calendar months; April is the first month of a fiscal year)."""
        start, end = fiscal_year_range(fiscal_year)

        def month_start(month: int) -> datetime.date:
            return datetime.date(fiscal_year if month >= 4 else fiscal_year + 1, month, 1)

        if first_month:
            start = month_start(first_month)
        if last_month:
            nxt = month_start(last_month)
            end = (nxt.replace(day=28) + datetime.timedelta(days=4)).replace(
                day=1
            ) - datetime.timedelta(days=1)
        if end < start:
            raise ValueError("the month range ends before it starts")
        return cls(fiscal_year, start, end)

    @property
    def label(self) -> str:
        label = reiwa_fiscal_year_label(self.fiscal_year)
        full = fiscal_year_range(self.fiscal_year)
        if (self.start, self.end) != full:
            label += f"（{self.start:%Y年%-m月}〜{self.end:%Y年%-m月}）"
        return label

    def datetimes(self) -> tuple[datetime.datetime, datetime.datetime]:
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        return start, end


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Indicator:
    code: str
    title: Any
    program: Any
    count: Callable[[list[int] | None, Period], dict[int, int]]
    order: int = 100
    # A grouped count that can run in the same statement as the others (see ``part``):
    # ``query(ids, period)`` gives the part, ``reduce(rows)`` the count per municipality.
    query: Callable[[list[int] | None, Period], QuerySet] | None = None
    reduce: Callable[[list[Row]], dict[int, int]] | None = None
    # The 事業 it is reported under (``cases.registry.Business`` key; empty: "other") and
    # what exactly is counted, shown beside the figure on the page and in the export.
    business: str = ""
    definition: Any = ""


# A row of a part: municipality id, three dimensions as text, two counts, a number.
Row = tuple[int | None, str, str, str, int, int, int]
Parts = dict[str, QuerySet]
Rows = dict[str, list[Row]]

# A section's grouped counts, and the tables it makes of their rows (``rows`` is None
# when a section is called alone: it then runs its own parts).
PartsOf = Callable[[int, Period], Parts]
Section = Callable[..., list[Table]]


def scoped(qs: QuerySet, municipality_ids: list[int] | None, field: str = "municipality_id"):
    return qs if municipality_ids is None else qs.filter(**{f"{field}__in": municipality_ids})


def per_municipality(qs: QuerySet, distinct_field: str = "pk") -> dict[int, int]:
    return sum_by_municipality(run_parts({"n": per_municipality_part(qs, distinct_field)})["n"])


def suppress(value: int) -> Any:
    """Small counts across municipalities could identify someone: 1–4 become "<5"."""
    return "<5" if 0 < value < SMALL_COUNT else value


# --- grouped counts of several tables in one statement ----------------------------------------


def part(
    qs: QuerySet,
    *,
    municipality: bool = False,
    dims: tuple[Any, ...] = (),
    counts: tuple[Any, ...] = (),
    number: Any = None,
) -> QuerySet:
    """One grouped count in the common shape of a part: ``qs`` grouped by the municipality
    (if asked), up to three dimensions (field names or expressions, as text) and a numeric
    one (``number``: a month, a sort order; left numeric, as a cast of every row to text
    costs more than the count), with up to two aggregates. Parts of different tables are
    run together by ``run_parts`` as one ``UNION ALL``, so a page reads every table it
    needs in one statement."""
    if len(dims) > 3 or len(counts) > 2:
        raise ValueError("a part has at most three dimensions and two counts")
    columns: dict[str, Any] = {
        # Typed NULL: UNION ALL resolves its columns pair by pair, and two untyped NULLs
        # would make the column text.
        "m": F("municipality_id") if municipality else Cast(Value(None), IntegerField())
    }
    for i in range(3):
        dim = dims[i] if i < len(dims) else Value("")
        columns[f"d{i}"] = Cast(F(dim) if isinstance(dim, str) else dim, CharField())
    if number is None:
        columns["x"] = Value(0, output_field=IntegerField())
    else:
        columns["x"] = F(number) if isinstance(number, str) else number
    aggregates = {
        f"n{i}": counts[i] if i < len(counts) else Value(0, output_field=IntegerField())
        for i in range(2)
    }
    return qs.values(**columns).annotate(**aggregates).order_by()


def per_municipality_part(qs: QuerySet, distinct_field: str = "pk") -> QuerySet:
    """``qs`` counted per municipality: distinct values of ``distinct_field``. Rows are
    counted as they are (no DISTINCT, which sorts them all: a third of the count of a
    year's consultations) when they are the model's own rows, one each — counting the
    primary key of a query that joins no multi-valued relation."""
    if distinct_field == "pk" and not _joins_many(qs):
        return part(qs, municipality=True, counts=(Count("pk"),))
    return part(qs, municipality=True, counts=(Count(distinct_field, distinct=True),))


def _joins_many(qs: QuerySet) -> bool:
    """Whether ``qs`` joins a relation that can repeat its rows (a reverse foreign key or
    a many-to-many), as filtering on ``records__…`` does."""
    for join in qs.query.alias_map.values():
        field = getattr(join, "join_field", None)
        if field is not None and (field.one_to_many or field.many_to_many):
            return True
    return False


_COLUMNS = ", ".join(f'"{c}"' for c in ("m", "d0", "d1", "d2", "n0", "n1", "x"))


def run_parts(parts: Parts) -> Rows:
    """Run the parts as one statement; the rows of each part by its key. Each part is
    compiled once, and a part asked for twice (an indicator that is also a section's
    table, as the consultations by method and month) is run once with its rows given to
    both: the same SQL and parameters."""
    rows: Rows = {key: [] for key in parts}
    if not parts:
        return rows
    using = next(iter(parts.values())).db
    # {compiled part: the keys that asked for it}, in the order they were first asked.
    alike: dict[tuple[str, str], tuple[list[Any], list[str]]] = {}
    for key, qs in parts.items():
        try:
            sql, params = qs.query.get_compiler(using=using).as_sql()
        except EmptyResultSet:  # a part that can match nothing (e.g. an empty IN list)
            continue
        alike.setdefault((sql, repr(params)), (list(params), []))[1].append(key)
    if not alike:
        return rows
    groups, branches, params = [], [], []
    for i, ((sql, _repr), (part_params, keys)) in enumerate(alike.items()):
        branches.append(f"SELECT {i} AS k, {_COLUMNS} FROM ({sql}) AS part{i}")  # noqa: S608
        params.extend(part_params)
        groups.append(keys)
    with connections[using].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), params)
        for k, m, d0, d1, d2, n0, n1, x in cursor.fetchall():
            row = (m, d0 or "", d1 or "", d2 or "", n0 or 0, n1 or 0, int(x or 0))
            for key in groups[k]:
                rows[key].append(row)
    return rows


def sum_by_municipality(rows: list[Row]) -> dict[int, int]:
    totals: dict[int, int] = {}
    for m, _d0, _d1, _d2, n, _n1, _x in rows:
        if m is not None:
            totals[m] = totals.get(m, 0) + n
    return totals


def indicator_key(code: str) -> str:
    return f"indicator:{code}"


def indicator_parts(ids: list[int] | None, p: Period) -> Parts:
    return {indicator_key(i.code): i.query(ids, p) for i in indicators() if i.query}


@reading_from_replica()
def indicator_counts(ids: list[int] | None, p: Period, rows: Rows | None = None) -> dict:
    """Every indicator per municipality: ``{code: {municipality id: n}}``. The grouped
    counts run in one statement (or come from ``rows`` when the page ran them already)."""
    if rows is None:
        rows = run_parts(indicator_parts(ids, p))
    counts = {}
    for i in indicators():
        if i.query:
            counts[i.code] = (i.reduce or sum_by_municipality)(rows[indicator_key(i.code)])
        else:
            counts[i.code] = i.count(ids, p)
    return counts


def batched(
    code: str,
    title: Any,
    program: Any,
    query: Callable[[list[int] | None, Period], QuerySet],
    order: int,
    reduce: Callable[[list[Row]], dict[int, int]] | None = None,
    *,
    business: str = "",
    definition: Any = "",
) -> Indicator:
    """An indicator whose grouped count can share a statement with the others."""

    def count(ids: list[int] | None, p: Period) -> dict[int, int]:
        return (reduce or sum_by_municipality)(run_parts({"n": query(ids, p)})["n"])

    return Indicator(code, title, program, count, order, query, reduce, business, definition)


@dataclass
class MunicipalityStatistics:
    """Everything the manager's page shows, from one statement (per request, not kept)."""

    tables: list[Table]
    counts: dict[str, int]
    rows: Rows


@reading_from_replica()
def municipality_statistics(mid: int, p: Period) -> MunicipalityStatistics:
    parts = indicator_parts([mid], p)
    registered = sections_with_parts()
    for _section, parts_of in registered:
        if parts_of:
            parts.update(parts_of(mid, p))
    rows = run_parts(parts)
    tables = [
        table
        for section, parts_of in registered
        for table in (section(mid, p, rows) if parts_of else section(mid, p))
    ]
    counts = {code: n.get(mid, 0) for code, n in indicator_counts([mid], p, rows).items()}
    return MunicipalityStatistics(tables, counts, rows)


# --- detailed sections of consultation support ------------------------------------------------


def consultations_by_method_month(ids: list[int] | None, p: Period) -> QuerySet:
    """The consultations of the period per municipality, method and month: the indicator
    of consultations (summed per municipality) and, for one municipality, the table by
    method and the chart by month. Both ask for this same part, which then runs once."""
    start, end = p.datetimes()
    qs = Consultation.objects.filter(
        deleted_at__isnull=True, occurred_at__gte=start, occurred_at__lt=end
    )
    return part(
        scoped(qs, ids),
        municipality=True,
        dims=("method__name",),
        counts=(Count("pk"),),
        number=ExtractMonth("occurred_at"),
    )


def consultation_parts(mid: int, p: Period) -> Parts:
    start, end = p.datetimes()
    # Status at the end of the period, from the append-only history.
    last_status = (
        CaseEvent.objects.filter(case=OuterRef("pk"), kind="status_changed", at__lt=end)
        .order_by("-at", "-pk")
        .annotate(after=KT("data__after"))
        .values("after")[:1]
    )
    cases = Case.objects.filter(
        municipality_id=mid, deleted_at__isnull=True, opened_on__lte=p.end
    ).annotate(
        status_then=Coalesce(
            Subquery(last_status, output_field=CharField()), Value(Case.Status.INTAKE)
        )
    )
    return {
        # One pass over the cases opened by the end of the period: the new ones by route
        # and all of them by their status then.
        "cases_by_route_status": part(
            cases,
            dims=("route__name", "status_then"),
            counts=(Count("pk", filter=Q(opened_on__gte=p.start)), Count("pk")),
        ),
        "cases_by_category": part(
            CaseCategory.objects.filter(
                case__municipality_id=mid,
                case__deleted_at__isnull=True,
                case__opened_on__range=(p.start, p.end),
            ),
            dims=("category__name",),
            counts=(Count("case_id", distinct=True),),
            number="category__sort_order",
        ),
        # One pass over the consultations: by method and month (the table and the chart,
        # and the indicator of consultations, which asks for the same part).
        "consultations_by_method_month": consultations_by_method_month([mid], p),
        "referrals": part(
            Referral.objects.filter(municipality_id=mid, created_at__gte=start, created_at__lt=end),
            dims=("from_program", "to_program", "status"),
            counts=(Count("pk"),),
        ),
        "meetings": part(
            MeetingCase.objects.filter(
                municipality_id=mid, meeting__held_on__range=(p.start, p.end)
            ),
            dims=("meeting__kind", "decision"),
            counts=(Count("pk"),),
        ),
        "flags": part(
            Flag.objects.filter(municipality_id=mid, raised_at__gte=start, raised_at__lt=end),
            dims=("rule", "state"),
            counts=(Count("pk"), Count("pk", filter=Q(resolved_at__isnull=False))),
        ),
    }


def _summed(rows: list[Row], key: Callable[[Row], Any]) -> dict[Any, int]:
    totals: dict[Any, int] = {}
    for row in rows:
        totals[key(row)] = totals.get(key(row), 0) + row[4]
    return totals


def consultation_sections(mid: int, p: Period, rows: Rows | None = None) -> list[Table]:
    if rows is None:
        rows = run_parts(consultation_parts(mid, p))
    by_route = {
        route: n for route, n in _summed(rows["cases_by_route_status"], lambda r: r[1]).items() if n
    }
    by_status: dict[str, int] = {}
    for _m, _route, status, _d2, _new, n, _x in rows["cases_by_route_status"]:
        by_status[status] = by_status.get(status, 0) + n
    by_method = _summed(rows["consultations_by_method_month"], lambda r: r[1])
    categories = sorted(rows["cases_by_category"], key=lambda r: (r[6], r[1]))
    tables = [
        Table(
            "cases_by_route",
            _("New cases by route"),
            [_("Route"), _("Cases")],
            [[route, n] for route, n in sorted(by_route.items(), key=lambda i: (-i[1], i[0]))],
        ),
        Table(
            "cases_by_category",
            _("New cases by issue"),
            [_("Issue"), _("Cases")],
            [[r[1], r[4]] for r in categories],
        ),
        Table(
            "consultations_by_method",
            _("Consultations by method"),
            [_("Method"), _("Consultations")],
            [[name, n] for name, n in sorted(by_method.items(), key=lambda i: (-i[1], i[0]))],
        ),
        Table(
            "cases_by_status",
            _("Cases by status at the end of the period"),
            [_("Status"), _("Cases")],
            [[str(label), by_status.get(value, 0)] for value, label in Case.Status.choices],
        ),
    ]
    status_labels = dict(Referral.Status.choices)
    tables.append(
        Table(
            "referrals",
            _("Referrals between programs"),
            [_("From"), _("To"), _("Outcome"), _("Referrals")],
            [
                [
                    program_label(r[1]),
                    program_label(r[2]),
                    str(status_labels[r[3]]),
                    r[4],
                ]
                for r in sorted(rows["referrals"], key=lambda r: r[1:4])
            ],
        )
    )
    decisions = dict(MeetingCase.Decision.choices)
    kinds = dict(Meeting.Kind.choices)
    tables.append(
        Table(
            "meetings",
            _("Cases taken up at meetings"),
            [_("Meeting"), _("Decision"), _("Cases")],
            [
                [str(kinds[r[1]]), str(decisions[r[2]]), r[4]]
                for r in sorted(rows["meetings"], key=lambda r: r[1:3])
            ],
        )
    )
    from cases.registry import get_rule

    states = dict(Flag.State.choices)
    tables.append(
        Table(
            "flags",
            _("Flags raised and how they were handled"),
            [_("Rule"), _("Handled as"), _("Flags"), _("Condition resolved")],
            [
                [
                    str(get_rule(r[1]).title) if get_rule(r[1]) else r[1],
                    str(states[r[2]]),
                    r[4],
                    r[5],
                ]
                for r in sorted(rows["flags"], key=lambda r: r[1:3])
            ],
        )
    )
    return tables


register_section(10, consultation_sections, consultation_parts)


def _months(p: Period) -> list[datetime.date]:
    months, day = [], p.start.replace(day=1)
    while day <= p.end:
        months.append(day)
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return months


@reading_from_replica()
def monthly_consultations(mid: int, p: Period, rows: Rows | None = None) -> list[tuple[str, int]]:
    """Consultations per month of the period (for the chart). A period lies within one
    fiscal year, so the month number tells the month."""
    if rows is None:
        rows = run_parts(consultation_parts(mid, p))
    counts = _summed(rows["consultations_by_method_month"], lambda r: r[6])
    return [(f"{day.month}月", counts.get(day.month, 0)) for day in _months(p)]


@reading_from_replica()
def referral_flows(mid: int, p: Period, rows: Rows | None = None) -> list[tuple[str, int]]:
    if rows is None:
        rows = run_parts(consultation_parts(mid, p))
    flows = _summed(rows["referrals"], lambda r: (r[1], r[2]))
    return [
        (f"{program_label(source)} → {program_label(target)}", n)
        for (source, target), n in sorted(flows.items(), key=lambda i: -i[1])
    ]
