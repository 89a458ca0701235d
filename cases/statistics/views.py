"""Fiscal-year statistics: a manager's municipality, and the national totals that system
administrators see (aggregates only, small counts suppressed)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.registry import businesses, indicators
from cases.statistics.export import survey_response
from cases.statistics.forms import StatisticsPeriodForm
from cases.statistics.queries import (
    Period,
    monthly_consultations,
    municipality_statistics,
    referral_flows,
)
from cases.statistics.report import (
    business_sections,
    national_totals,
    plan_for,
    targets_of,
    trends,
)
from cases.statistics.services import fiscal_years
from municipalities.audit import audit_write
from municipalities.decorators import role_required
from municipalities.models import AuditEvent, Role
from municipalities.scoping import active_membership
from portal.exports import csv_response, xlsx_response
from portal.fiscal import fiscal_year_of, reiwa_fiscal_year_label


def _period(request: HttpRequest) -> tuple[StatisticsPeriodForm, Period]:
    current = fiscal_year_of(timezone.localdate())
    form = StatisticsPeriodForm(
        request.GET or None, years=fiscal_years(), initial={"fiscal_year": current}
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return form, Period.of(data["fiscal_year"], data["first_month"], data["last_month"])
    return form, Period.of(current)


def _blank(value: int | None) -> Any:
    return "" if value is None else value


def _plan_years(plan: Any) -> dict[str, str]:
    """The plan's period and version as 令和 fiscal years."""
    if plan is None:
        return {}
    return {
        "first": reiwa_fiscal_year_label(plan.first_year),
        "last": reiwa_fiscal_year_label(plan.last_year),
        "version": reiwa_fiscal_year_label(plan.fiscal_year),
    }


def _export(request: HttpRequest, membership: Any, period: Period, sections, tables):
    export = request.GET.get("export")
    audit_write(
        user=request.user,
        municipality_id=membership.municipality_id,
        action=AuditEvent.Action.EXPORT,
        detail={
            "what": "statistics",
            "format": export,
            "period": [period.start.isoformat(), period.end.isoformat()],
        },
        request=request,
    )
    if export == "xlsx":
        return survey_response(membership.municipality, period, sections, tables)
    header = [_("Indicator"), _("Actual"), _("Target"), _("Achieved (%)"), _("What is counted")]
    sheets = [
        (
            section.label,
            header,
            [
                [
                    r.title,
                    r.actual,
                    "" if r.target is None else r.target,
                    r.progress or "",
                    r.definition,
                ]
                for r in section.rows
            ],
        )
        for section in sections
    ]
    sheets += [(t.title, t.columns, t.rows) for t in tables]
    name = f"statistics-{membership.municipality.code}-{period.start:%Y%m}-{period.end:%Y%m}"
    return csv_response(name, sheets)


@role_required(Role.MANAGER)
def statistics(request: HttpRequest) -> HttpResponse:
    membership = active_membership(request.user)
    mid = membership.municipality_id
    form, period = _period(request)
    # The plan and its targets are read from the primary, so that a target just saved
    # shows at once; every section and indicator comes in one statement (computed for this
    # request only), read from the replica if there is one.
    targets = targets_of(mid, period.fiscal_year)
    plan = plan_for(mid, period.fiscal_year)
    stats = municipality_statistics(mid, period)
    sections = business_sections(stats.counts, targets, plan)
    if request.GET.get("export") in ("csv", "xlsx"):
        return _export(request, membership, period, sections, stats.tables)
    monthly = monthly_consultations(mid, period, stats.rows)
    flows = referral_flows(mid, period, stats.rows)
    charts = {
        "monthly": {
            "labels": [m for m, _n in monthly],
            "values": [n for _m, n in monthly],
            "label": _("Consultations"),
        },
        "flows": {
            "labels": [f for f, _n in flows],
            "values": [n for _f, n in flows],
            "label": _("Referrals"),
        },
    }
    return render(
        request,
        "cases/statistics.html",
        {
            "form": form,
            "period": period,
            "plan": plan,
            "plan_years": _plan_years(plan),
            "sections": sections,
            "tables": stats.tables,
            "charts": charts,
            "query": request.GET.urlencode(),
        },
    )


@role_required(Role.MANAGER)
def statistics_trends(request: HttpRequest) -> HttpResponse:
    """Each indicator month by month over the fiscal year and the one before."""
    membership = active_membership(request.user)
    form, period = _period(request)
    keys = [b.key for b in businesses()]
    business = request.GET.get("business") or keys[0]
    if business not in keys:
        business = keys[0]
    found = trends(membership.municipality_id, period.fiscal_year, business)
    this_label = reiwa_fiscal_year_label(period.fiscal_year)
    last_label = reiwa_fiscal_year_label(period.fiscal_year - 1)
    data = [
        {
            "id": f"trend-{t.code}",
            "title": t.title,
            "labels": t.months,
            "series": [
                {"label": this_label, "values": t.this_year},
                {"label": last_label, "values": t.last_year},
            ],
        }
        for t in found
    ]
    return render(
        request,
        "cases/statistics_trends.html",
        {
            "form": form,
            "period": period,
            "business": business,
            "businesses": businesses(),
            "trends": data,
        },
    )


@login_required
def national_statistics(request: HttpRequest) -> HttpResponse:
    """System administrators: indicators per prefecture and in total. Only counts; 1–4 are
    shown as "<5"."""
    if not request.user.is_system_admin:
        raise PermissionDenied
    form, period = _period(request)
    totals = national_totals(period)  # the roster, and every indicator in one statement
    ind = indicators()
    header = [_("Prefecture"), *[str(i.title) for i in ind]]
    rows = [
        [pref, *totals.suppressed(values)] for pref, values in sorted(totals.prefectures.items())
    ]
    total_row = [_("All municipalities"), *totals.suppressed(totals.totals)]
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        name = f"national-statistics-{period.start:%Y%m}-{period.end:%Y%m}"
        return (csv_response if export == "csv" else xlsx_response)(
            name, [(_("National statistics"), header, [*rows, total_row])]
        )
    return render(
        request,
        "cases/national_statistics.html",
        {
            "form": form,
            "period": period,
            "header": header,
            "rows": rows,
            "total_row": total_row,
            "query": request.GET.urlencode(),
        },
    )
