"""The 実施計画 page: a manager edits the fiscal year's version of the plan (period,
policies, who runs each 事業, the yearly targets the statistics compare with)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.registry import businesses, indicators
from cases.statistics import services
from cases.statistics.forms import PlanForm
from cases.statistics.report import plan_for, targets_of
from municipalities.decorators import role_required
from municipalities.models import Role
from municipalities.scoping import active_membership
from portal.errors import CaseRuleError
from portal.fiscal import fiscal_year_of, reiwa_fiscal_year_label
from portal.forms import add_rule_error, form_status


def _fiscal_year(request: HttpRequest) -> int:
    current = fiscal_year_of(timezone.localdate())
    try:
        year = int(request.GET.get("fiscal_year") or current)
    except ValueError:
        year = current
    return year if year in services.fiscal_years() else current


def _initial(mid: int, fiscal_year: int) -> tuple[dict[str, Any], bool]:
    """The year's own version, or a copy of the latest earlier one to start from."""
    plan = plan_for(mid, fiscal_year)
    if plan is None:
        return {"first_year": fiscal_year, "last_year": fiscal_year + 2}, False
    initial: dict[str, Any] = {
        "title": plan.title,
        "first_year": plan.first_year,
        "last_year": max(plan.last_year, fiscal_year),
        "adopted_on": plan.adopted_on,
        "policies": plan.policies,
    }
    for run in plan.businesses.all():
        initial[f"op_{run.business}"] = run.operation
        initial[f"contractors_{run.business}"] = run.contractors
    initial.update(targets_of(mid, plan.fiscal_year))
    return initial, plan.fiscal_year == fiscal_year


def _data(form: PlanForm) -> services.PlanData:
    data = form.cleaned_data
    return services.PlanData(
        title=data["title"],
        first_year=data["first_year"],
        last_year=data["last_year"],
        adopted_on=data["adopted_on"],
        policies=data["policies"],
        businesses={
            key: (data[f"op_{key}"], data[f"contractors_{key}"]) for key in form.business_keys
        },
        targets={code: data[code] for code in form.indicator_codes},
    )


@role_required(Role.MANAGER)
def implementation_plan(request: HttpRequest) -> HttpResponse:
    membership = active_membership(request.user)
    mid = membership.municipality_id
    fiscal_year = _fiscal_year(request)
    initial, own = _initial(mid, fiscal_year)
    form = PlanForm(
        request.POST or None,
        initial=initial,
        businesses=businesses(),
        indicators=indicators(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.implementation_plan_save(
                user=request.user,
                municipality=membership.municipality,
                fiscal_year=fiscal_year,
                data=_data(form),
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The implementation plan was saved."))
            return redirect(f"{reverse('cases:statistics')}?fiscal_year={fiscal_year}")
    return render(
        request,
        "cases/implementation_plan.html",
        {
            "form": form,
            "fiscal_year": fiscal_year,
            "fiscal_year_label": reiwa_fiscal_year_label(fiscal_year),
            "own_version": own,
            "years": [(y, reiwa_fiscal_year_label(y)) for y in services.fiscal_years()],
        },
        status=form_status(request) if request.method == "POST" else 200,
    )
