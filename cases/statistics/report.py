"""The 事業-by-事業 report: each registered indicator under its 事業 with its definition,
the yearly target of the 実施計画 and the % achieved; month-by-month trends against the
previous fiscal year; and the national totals (counts only, small counts suppressed).
The page, the export and the API all read these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import ImplementationPlan, IndicatorTarget, PlanBusiness
from cases.registry import Business, businesses, get_business, indicators
from cases.statistics.queries import (
    Period,
    indicator_counts,
    indicator_key,
    run_parts,
    sum_by_municipality,
    suppress,
)
from municipalities.models import Municipality
from portal.replica import reading_from_replica

OTHER = "other"


@dataclass
class IndicatorRow:
    code: str
    title: str
    definition: str
    actual: int
    target: int | None
    progress: int | None  # % of the target achieved (None: no target)


@dataclass
class BusinessSection:
    key: str
    label: str
    note: str
    operation: str = ""  # how the plan runs it (直営 / 委託 …), "" if the plan says nothing
    contractors: str = ""
    rows: list[IndicatorRow] = field(default_factory=list)


def progress(actual: int, target: int | None) -> int | None:
    return round(100 * actual / target) if target else None


def targets_of(municipality_id: int, fiscal_year: int) -> dict[str, int]:
    """The plan's yearly targets (read from the primary: a target just saved shows)."""
    return dict(
        IndicatorTarget.objects.filter(
            municipality_id=municipality_id, fiscal_year=fiscal_year
        ).values_list("indicator", "target")
    )


def plan_for(municipality_id: int, fiscal_year: int) -> ImplementationPlan | None:
    """The 実施計画 in force in the fiscal year: its own version, or else the latest earlier
    one (a new year's version starts from it). One statement, and one for its 事業."""
    return (
        ImplementationPlan.objects.filter(
            municipality_id=municipality_id, fiscal_year__lte=fiscal_year
        )
        .order_by("-fiscal_year")
        .prefetch_related("businesses")
        .first()
    )


def _business_of(indicator: Any) -> Business:
    business = get_business(getattr(indicator, "business", "") or "")
    return business or Business(OTHER, _("Other indicators"), 1000)


def business_sections(
    counts: dict[str, int], targets: dict[str, int], plan: ImplementationPlan | None
) -> list[BusinessSection]:
    """Every 事業 (each shown even with no indicator yet), its indicators in order."""
    run_by: dict[str, PlanBusiness] = {b.business: b for b in plan.businesses.all()} if plan else {}
    operations = dict(PlanBusiness.Operation.choices)
    sections: dict[str, BusinessSection] = {}
    for business in [*businesses()]:
        run = run_by.get(business.key)
        sections[business.key] = BusinessSection(
            business.key,
            str(business.label),
            str(business.note),
            str(operations[run.operation]) if run else "",
            run.contractors if run else "",
        )
    for indicator in indicators():
        business = _business_of(indicator)
        section = sections.setdefault(
            business.key, BusinessSection(business.key, str(business.label), str(business.note))
        )
        actual = counts.get(indicator.code, 0)
        target = targets.get(indicator.code)
        section.rows.append(
            IndicatorRow(
                indicator.code,
                str(indicator.title),
                str(getattr(indicator, "definition", "") or ""),
                actual,
                target,
                progress(actual, target),
            )
        )
    return [s for s in sections.values() if s.rows or s.key != OTHER]


# --- trends --------------------------------------------------------------------------------


FISCAL_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)  # April opens the fiscal year


@dataclass
class Trend:
    code: str
    title: str
    business: str
    months: list[str]
    this_year: list[int | None]  # None: a month not yet begun
    last_year: list[int]


@reading_from_replica()
def trends(municipality_id: int, fiscal_year: int, business: str | None = None) -> list[Trend]:
    """Each indicator (of one 事業, or all) month by month over the fiscal year and the
    year before: every month of every indicator is one part of one statement."""
    chosen = [
        i for i in indicators() if i.query and (business is None or _business_of(i).key == business)
    ]
    today = timezone.localdate()
    parts = {}
    for year in (fiscal_year, fiscal_year - 1):
        for month in FISCAL_MONTHS:
            period = Period.of(year, month, month)
            if period.start > today:
                continue
            for i in chosen:
                parts[f"{indicator_key(i.code)}:{year}:{month}"] = i.query(
                    [municipality_id], period
                )
    rows = run_parts(parts)

    def value(i: Any, year: int, month: int) -> int | None:
        key = f"{indicator_key(i.code)}:{year}:{month}"
        if key not in rows:
            return None
        return (i.reduce or sum_by_municipality)(rows[key]).get(municipality_id, 0)

    months = FISCAL_MONTHS
    return [
        Trend(
            i.code,
            str(i.title),
            str(_business_of(i).label),
            [f"{m}月" for m in months],
            [value(i, fiscal_year, m) for m in months],
            [value(i, fiscal_year - 1, m) or 0 for m in months],
        )
        for i in chosen
    ]


# --- national totals -------------------------------------------------------------------------


@dataclass
class NationalTotals:
    codes: list[str]
    prefectures: dict[str, dict[str, int]]
    totals: dict[str, int]

    def suppressed(self, values: dict[str, int]) -> list[Any]:
        return [suppress(values.get(code, 0)) for code in self.codes]


@reading_from_replica()
def national_totals(period: Period) -> NationalTotals:
    """Every indicator summed by prefecture and in total (two statements: the roster and
    every count). Only counts, never a person."""
    prefecture_of = dict(Municipality.objects.values_list("pk", "prefecture"))
    counts = indicator_counts(None, period)
    prefectures: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for code, per_municipality in counts.items():
        for mid, n in per_municipality.items():
            pref = prefectures.setdefault(prefecture_of.get(mid, "?"), {})
            pref[code] = pref.get(code, 0) + n
            totals[code] = totals.get(code, 0) + n
    return NationalTotals([i.code for i in indicators()], prefectures, totals)
