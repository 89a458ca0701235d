"""Fiscal-year statistics: a manager's municipality, and the national totals that system
administrators see (aggregates only, small counts suppressed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import IndicatorTarget
from cases.registry import indicators
from cases.statistics.forms import StatisticsPeriodForm, TargetsForm
from cases.statistics.queries import (
    Period,
    indicator_counts,
    monthly_consultations,
    municipality_statistics,
    referral_flows,
    suppress,
)
from municipalities.audit import audit_write
from municipalities.decorators import role_required
from municipalities.models import AuditEvent, Municipality, Role
from municipalities.scoping import active_membership
from portal.exports import csv_response, xlsx_response
from portal.fiscal import fiscal_year_of
from portal.replica import reading_from_replica

FIRST_YEAR = 2021


def _period(request: HttpRequest) -> tuple[StatisticsPeriodForm, Period]:
    current = fiscal_year_of(timezone.localdate())
    years = list(range(current, FIRST_YEAR - 1, -1))
    form = StatisticsPeriodForm(request.GET or None, years=years, initial={"fiscal_year": current})
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return form, Period.of(data["fiscal_year"], data["first_month"], data["last_month"])
    return form, Period.of(current)


def _indicator_rows(counts: dict[str, int], targets: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for indicator in indicators():
        actual = counts.get(indicator.code, 0)
        target = targets.get(indicator.code)
        rows.append(
            {
                "code": indicator.code,
                "title": str(indicator.title),
                "program": str(indicator.program),
                "actual": actual,
                "target": target,
                "progress": round(100 * actual / target) if target else None,
            }
        )
    return rows


@role_required(Role.MANAGER)
def statistics(request: HttpRequest) -> HttpResponse:
    membership = active_membership(request.user)
    mid = membership.municipality_id
    form, period = _period(request)
    targets = dict(
        IndicatorTarget.objects.filter(
            municipality_id=mid, fiscal_year=period.fiscal_year
        ).values_list("indicator", "target")
    )
    # Every section and indicator in one statement (computed for this request only), read
    # from the replica if there is one; the targets above are read from the primary, so
    # that a target just saved shows at once.
    stats = municipality_statistics(mid, period)
    tables = stats.tables
    rows = _indicator_rows(stats.counts, targets)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        audit_write(
            user=request.user,
            municipality_id=mid,
            action=AuditEvent.Action.EXPORT,
            detail={
                "what": "statistics",
                "format": export,
                "period": [period.start.isoformat(), period.end.isoformat()],
            },
            request=request,
        )
        sheets = [
            (
                _("Indicators"),
                [_("Program"), _("Indicator"), _("Actual"), _("Target")],
                [[r["program"], r["title"], r["actual"], r["target"] or ""] for r in rows],
            )
        ]
        sheets += [(t.title, t.columns, t.rows) for t in tables]
        name = f"statistics-{membership.municipality.code}-{period.start:%Y%m}-{period.end:%Y%m}"
        return (csv_response if export == "csv" else xlsx_response)(name, sheets)
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
            "tables": tables,
            "indicators": rows,
            "targets_form": TargetsForm(indicators=indicators(), targets=targets),
            "charts": charts,
            "query": request.GET.urlencode(),
        },
    )


@role_required(Role.MANAGER)
def statistics_targets(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        raise PermissionDenied
    membership = active_membership(request.user)
    try:
        fiscal_year = int(request.POST.get("fiscal_year", ""))
    except ValueError:
        fiscal_year = fiscal_year_of(timezone.localdate())
    form = TargetsForm(request.POST, indicators=indicators(), targets={})
    if not form.is_valid():
        messages.error(request, _("Targets are whole numbers of 0 or more."))
        return redirect(f"{reverse('cases:statistics')}?fiscal_year={fiscal_year}")
    with transaction.atomic():
        for code, value in form.cleaned_data.items():
            if value is None:
                IndicatorTarget.objects.filter(
                    municipality_id=membership.municipality_id,
                    fiscal_year=fiscal_year,
                    indicator=code,
                ).delete()
            else:
                IndicatorTarget.objects.update_or_create(
                    municipality_id=membership.municipality_id,
                    fiscal_year=fiscal_year,
                    indicator=code,
                    defaults={"target": value, "updated_by": request.user},
                )
        audit_write(
            user=request.user,
            municipality_id=membership.municipality_id,
            action=AuditEvent.Action.UPDATE,
            detail={"targets": form.cleaned_data, "fiscal_year": fiscal_year},
            request=request,
        )
    messages.success(request, _("The targets were saved."))
    return redirect(f"{reverse('cases:statistics')}?fiscal_year={fiscal_year}")


@login_required
def national_statistics(request: HttpRequest) -> HttpResponse:
    """System administrators: indicators per prefecture and in total. Only counts; 1–4 are
    shown as "<5"."""
    if not request.user.is_system_admin:
        raise PermissionDenied
    form, period = _period(request)
    with reading_from_replica():  # the roster and the counts of the whole country
        prefecture_of = dict(Municipality.objects.values_list("pk", "prefecture"))
        counts = indicator_counts(None, period)  # one statement for every indicator
    prefectures: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    ind = indicators()
    for indicator in ind:
        for mid, n in counts[indicator.code].items():
            pref = prefecture_of.get(mid, "?")
            prefectures.setdefault(pref, {})
            prefectures[pref][indicator.code] = prefectures[pref].get(indicator.code, 0) + n
            totals[indicator.code] = totals.get(indicator.code, 0) + n
    header = [_("Prefecture"), *[str(i.title) for i in ind]]
    rows = [
        [pref, *[suppress(values.get(i.code, 0)) for i in ind]]
        for pref, values in sorted(prefectures.items())
    ]
    total_row = [_("All municipalities"), *[suppress(totals.get(i.code, 0)) for i in ind]]
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
