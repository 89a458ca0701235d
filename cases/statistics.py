"""Fiscal-year statistics: the registry of sections and indicators, and the sections of
consultation support. Participation and community register theirs from ``ready()``.

An indicator counts per municipality in one grouped query, so the same function serves
a manager (one municipality) and the national view (every municipality, summed by
prefecture). Sections are detailed tables for one municipality.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    Consultation,
    Flag,
    Meeting,
    MeetingCase,
    Program,
    Referral,
    SupportPlan,
)
from portal.fiscal import fiscal_year_range, reiwa_fiscal_year_label

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


Section = Callable[[int, Period], list[Table]]
_sections: list[tuple[int, Section]] = []
_indicators: dict[str, Indicator] = {}


def register_section(order: int, section: Section) -> Section:
    if all(s is not section for _o, s in _sections):
        _sections.append((order, section))
    return section


def register_indicator(indicator: Indicator) -> Indicator:
    _indicators[indicator.code] = indicator
    return indicator


def indicators() -> list[Indicator]:
    return sorted(_indicators.values(), key=lambda i: (i.order, i.code))


def sections() -> list[Section]:
    return [s for _o, s in sorted(_sections, key=lambda item: item[0])]


def scoped(qs: QuerySet, municipality_ids: list[int] | None, field: str = "municipality_id"):
    return qs if municipality_ids is None else qs.filter(**{f"{field}__in": municipality_ids})


def per_municipality(qs: QuerySet, distinct_field: str = "pk") -> dict[int, int]:
    rows = qs.values("municipality_id").annotate(n=Count(distinct_field, distinct=True))
    return {row["municipality_id"]: row["n"] for row in rows.order_by()}


def suppress(value: int) -> Any:
    """Small counts across municipalities could identify someone: 1–4 become "<5"."""
    return "<5" if 0 < value < SMALL_COUNT else value


# --- indicators of consultation support ----------------------------------------------------


def _new_cases(ids: list[int] | None, p: Period) -> dict[int, int]:
    qs = Case.objects.filter(deleted_at__isnull=True, opened_on__range=(p.start, p.end))
    return per_municipality(scoped(qs, ids))


def _meetings(kind: str) -> Callable[[list[int] | None, Period], dict[int, int]]:
    def count(ids: list[int] | None, p: Period) -> dict[int, int]:
        qs = Meeting.objects.filter(kind=kind, held_on__range=(p.start, p.end))
        return per_municipality(scoped(qs, ids))

    return count


def _plans_made(ids: list[int] | None, p: Period) -> dict[int, int]:
    qs = SupportPlan.objects.filter(created_on__range=(p.start, p.end))
    return per_municipality(scoped(qs, ids))


def _plans_closed(ids: list[int] | None, p: Period) -> dict[int, int]:
    qs = MeetingCase.objects.filter(
        decision=MeetingCase.Decision.CLOSE, meeting__held_on__range=(p.start, p.end)
    )
    return per_municipality(scoped(qs, ids))


def _outreach(ids: list[int] | None, p: Period) -> dict[int, int]:
    start, end = p.datetimes()
    qs = Consultation.objects.filter(
        deleted_at__isnull=True,
        method__code__in=["home_visit", "accompany"],
        occurred_at__gte=start,
        occurred_at__lt=end,
    )
    return per_municipality(scoped(qs, ids), "case__person_id")


CONSULTATION = gettext_lazy("Consultation support")
for indicator in (
    Indicator(
        "consultations_received",
        gettext_lazy("Consultations received (new cases)"),
        CONSULTATION,
        _new_cases,
        10,
    ),
    Indicator(
        "multiagency_meetings",
        gettext_lazy("Multi-agency support meetings"),
        CONSULTATION,
        _meetings(Meeting.Kind.MULTIAGENCY),
        11,
    ),
    Indicator(
        "support_meetings",
        gettext_lazy("Support meetings (art. 106-6)"),
        CONSULTATION,
        _meetings(Meeting.Kind.SUPPORT),
        12,
    ),
    Indicator("plans_made", gettext_lazy("Support plans made"), CONSULTATION, _plans_made, 13),
    Indicator(
        "plans_closed",
        gettext_lazy("Cases closed by a multi-agency meeting"),
        CONSULTATION,
        _plans_closed,
        14,
    ),
    Indicator(
        "outreach_people", gettext_lazy("People reached by outreach"), CONSULTATION, _outreach, 15
    ),
):
    register_indicator(indicator)


# --- detailed sections of consultation support ------------------------------------------------


def consultation_sections(mid: int, p: Period) -> list[Table]:
    start, end = p.datetimes()
    new_cases = Case.objects.filter(
        municipality_id=mid, deleted_at__isnull=True, opened_on__range=(p.start, p.end)
    )
    consultations = Consultation.objects.filter(
        municipality_id=mid, deleted_at__isnull=True, occurred_at__gte=start, occurred_at__lt=end
    )
    tables = [
        Table(
            "cases_by_route",
            _("New cases by route"),
            [_("Route"), _("Cases")],
            [
                [r["route__name"], r["n"]]
                for r in new_cases.values("route__name")
                .annotate(n=Count("pk"))
                .order_by("-n", "route__name")
            ],
        ),
        Table(
            "cases_by_category",
            _("New cases by issue"),
            [_("Issue"), _("Cases")],
            [
                [r["category__name"], r["n"]]
                for r in CaseCategory.objects.filter(case__in=new_cases)
                .values("category__name", "category__sort_order")
                .annotate(n=Count("case_id", distinct=True))
                .order_by("category__sort_order")
            ],
        ),
        Table(
            "consultations_by_method",
            _("Consultations by method"),
            [_("Method"), _("Consultations")],
            [
                [r["method__name"], r["n"]]
                for r in consultations.values("method__name")
                .annotate(n=Count("pk"))
                .order_by("-n", "method__name")
            ],
        ),
    ]
    # Status at the end of the period, from the append-only history.
    last_status = (
        CaseEvent.objects.filter(case=OuterRef("pk"), kind="status_changed", at__lt=end)
        .order_by("-at", "-pk")
        .annotate(after=KT("data__after"))
        .values("after")[:1]
    )
    status_rows = (
        Case.objects.filter(municipality_id=mid, deleted_at__isnull=True, opened_on__lte=p.end)
        .annotate(
            status_then=Coalesce(
                Subquery(last_status, output_field=CharField()), Value(Case.Status.INTAKE)
            )
        )
        .values("status_then")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["status_then"]: row["n"] for row in status_rows}
    tables.append(
        Table(
            "cases_by_status",
            _("Cases by status at the end of the period"),
            [_("Status"), _("Cases")],
            [[str(label), counts.get(value, 0)] for value, label in Case.Status.choices],
        )
    )
    program_labels = dict(Program.choices)
    status_labels = dict(Referral.Status.choices)
    referrals = (
        Referral.objects.filter(municipality_id=mid, created_at__gte=start, created_at__lt=end)
        .values("from_program", "to_program", "status")
        .annotate(n=Count("pk"))
        .order_by("from_program", "to_program", "status")
    )
    tables.append(
        Table(
            "referrals",
            _("Referrals between programs"),
            [_("From"), _("To"), _("Outcome"), _("Referrals")],
            [
                [
                    str(program_labels[r["from_program"]]),
                    str(program_labels[r["to_program"]]),
                    str(status_labels[r["status"]]),
                    r["n"],
                ]
                for r in referrals
            ],
        )
    )
    decisions = dict(MeetingCase.Decision.choices)
    decided = (
        MeetingCase.objects.filter(municipality_id=mid, meeting__held_on__range=(p.start, p.end))
        .values("meeting__kind", "decision")
        .annotate(n=Count("pk"))
        .order_by()
    )
    kinds = dict(Meeting.Kind.choices)
    tables.append(
        Table(
            "meetings",
            _("Cases taken up at meetings"),
            [_("Meeting"), _("Decision"), _("Cases")],
            [
                [str(kinds[r["meeting__kind"]]), str(decisions[r["decision"]]), r["n"]]
                for r in decided
            ],
        )
    )
    from cases.rules import get_rule

    flags = (
        Flag.objects.filter(municipality_id=mid, raised_at__gte=start, raised_at__lt=end)
        .values("rule", "state")
        .annotate(n=Count("pk"), resolved=Count("pk", filter=Q(resolved_at__isnull=False)))
        .order_by("rule", "state")
    )
    states = dict(Flag.State.choices)
    tables.append(
        Table(
            "flags",
            _("Flags raised and how they were handled"),
            [_("Rule"), _("Handled as"), _("Flags"), _("Condition resolved")],
            [
                [
                    str(get_rule(r["rule"]).title) if get_rule(r["rule"]) else r["rule"],
                    str(states[r["state"]]),
                    r["n"],
                    r["resolved"],
                ]
                for r in flags
            ],
        )
    )
    return tables


register_section(10, consultation_sections)


def monthly_consultations(mid: int, p: Period) -> list[tuple[str, int]]:
    """Consultations per month of the period (for the chart)."""
    start, end = p.datetimes()
    rows = (
        Consultation.objects.filter(
            municipality_id=mid,
            deleted_at__isnull=True,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    counts = {
        row["month"].date().replace(day=1)
        if isinstance(row["month"], datetime.datetime)
        else row["month"]: row["n"]
        for row in rows
    }
    months, day = [], p.start.replace(day=1)
    while day <= p.end:
        months.append((f"{day.month}月", counts.get(day, 0)))
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return months


def referral_flows(mid: int, p: Period) -> list[tuple[str, int]]:
    start, end = p.datetimes()
    labels = dict(Program.choices)
    rows = (
        Referral.objects.filter(municipality_id=mid, created_at__gte=start, created_at__lt=end)
        .values("from_program", "to_program")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    return [(f"{labels[r['from_program']]} → {labels[r['to_program']]}", r["n"]) for r in rows]
