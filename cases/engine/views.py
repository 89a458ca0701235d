"""Pages of the referral engine: the flag queue, a flag and what to do with it, and the
rule settings."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core import queries as core_queries
from cases.engine import flags, queries, services
from cases.engine.forms import FlagDismissForm, FlagReferForm, FlagSnoozeForm, RuleSettingForm
from cases.registry import all_rules, get_rule
from municipalities.audit import audit_list, audit_write
from municipalities.models import AuditEvent, Role
from municipalities.scoping import active_membership
from portal.errors import CaseRuleError
from portal.forms import add_rule_error

FLAG_PAGE_SIZE = 50


def _page_number(request: HttpRequest) -> int:
    """The ``page`` query parameter: a positive number, 1 when missing or invalid."""
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100_000))
    except (TypeError, ValueError):
        return 1


@login_required
def flag_queue(request: HttpRequest) -> HttpResponse:
    if active_membership(request.user) is None or request.user.is_system_admin:
        raise PermissionDenied
    page = _page_number(request)
    start = (page - 1) * FLAG_PAGE_SIZE
    # One row more than a page tells whether there is a next page without a COUNT.
    rows = queries.flag_queue_page(request.user, start, FLAG_PAGE_SIZE + 1)
    flags = rows[:FLAG_PAGE_SIZE]
    audit_list(request, "flags", [f.case_id for f in flags if f.case_id])
    return render(
        request,
        "cases/flag_queue.html",
        {
            "flags": flags,
            "can_see_cases": core_queries.can_see_cases(request.user),
            "page": page,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if len(rows) > FLAG_PAGE_SIZE else None,
        },
    )


@login_required
def flag_detail(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = queries.flag_get_for_user(request.user, flag_id)
    rule = get_rule(flag.rule)
    user = request.user
    forms_ = {
        "snooze": FlagSnoozeForm(
            request.POST if request.POST.get("action") == "snooze" else None,
            initial={"until": timezone.localdate() + datetime.timedelta(days=14)},
        ),
        "dismiss": FlagDismissForm(
            request.POST if request.POST.get("action") == "dismiss" else None
        ),
        "refer": FlagReferForm(
            request.POST if request.POST.get("action") == "refer" else None,
            initial={"reason": rule.describe({}) if rule else ""},
        ),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        form = forms_.get(action)
        if form is None:
            return HttpResponseNotAllowed(["POST"])
        if form.is_valid():
            try:
                if action == "snooze":
                    services.flag_snooze(user=user, flag=flag, **form.cleaned_data)
                elif action == "dismiss":
                    services.flag_dismiss(user=user, flag=flag, **form.cleaned_data)
                else:
                    services.flag_refer(user=user, flag=flag, **form.cleaned_data)
            except CaseRuleError as exc:
                add_rule_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("cases:flag_queue")
    else:
        audit_write(
            user=user,
            municipality_id=flag.municipality_id,
            action=AuditEvent.Action.VIEW,
            obj=flag,
            case_id=flag.case_id,
            person_id=flag.case.person_id if flag.case_id else None,
            request=request,
        )
    settings_ = flags.rule_settings(flag.municipality_id)
    return render(
        request,
        "cases/flag_detail.html",
        {
            "flag": flag,
            "rule": rule,
            "explanation": rule.describe(settings_[rule.code][1]) if rule else "",
            "forms": forms_,
            "can_act": services.flag_can_act(flag),
            "can_refer": services.flag_can_refer(flag),
            "can_see_cases": core_queries.can_see_cases(user),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def rule_settings(request: HttpRequest) -> HttpResponse:
    """Managers switch rules and set thresholds; everyone may read them."""
    membership = active_membership(request.user)
    if membership is None or request.user.is_system_admin:
        raise PermissionDenied
    is_manager = membership.role == Role.MANAGER
    current = flags.rule_settings(membership.municipality_id)
    code = request.POST.get("rule")
    rows = []
    for rule in all_rules():
        enabled, params = current[rule.code]
        bound = request.method == "POST" and code == rule.code
        form = RuleSettingForm(
            request.POST if bound else None,
            rule=rule,
            params=params,
            initial={"enabled": enabled},
            prefix=rule.code,
        )
        if bound:
            if not is_manager:
                raise PermissionDenied
            if form.is_valid():
                data = dict(form.cleaned_data)
                try:
                    services.rule_setting_save(
                        user=request.user,
                        municipality=membership.municipality,
                        rule=rule,
                        enabled=data.pop("enabled"),
                        params=data,
                    )
                except CaseRuleError as exc:
                    add_rule_error(form, exc)
                else:
                    messages.success(request, _("The rule was saved."))
                    return redirect("cases:rule_settings")
        rows.append((rule, rule.describe(params), enabled, form))
    return render(
        request,
        "cases/rule_settings.html",
        {
            "rows": rows,
            "is_manager": is_manager,
            "retention_years": membership.municipality.case_retention_years,
        },
        status=400 if request.method == "POST" else 200,
    )
