from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from municipalities.api_tokens import (
    api_token_get_for_manager,
    api_token_issue,
    api_token_list,
    api_token_revoke,
)
from municipalities.decorators import role_required
from municipalities.forms import ApiTokenForm
from municipalities.models import Membership, Municipality, ProgramParticipation, Role
from municipalities.scoping import active_membership
from portal.errors import CaseRuleError
from portal.fiscal import fiscal_year_of, reiwa_fiscal_year_label
from portal.forms import add_rule_error, form_status

# Where each role lands after login: its work, not a profile page.
ROLE_HOMES = {
    Role.CASEWORKER: "cases:dashboard",
    Role.MANAGER: "cases:office",
    Role.MULTIAGENCY: "cases:office",
    Role.COORDINATOR: "participation:home",
    Role.COMMUNITY_WORKER: "community:home",
    Role.OUTREACH: "outreach:home",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page: the role's own home (the system administrator's is the roster)."""
    membership = active_membership(request.user)
    if membership is not None and not request.user.is_system_admin:
        return redirect(ROLE_HOMES[membership.role])
    return profile(request)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Who I am, where I work, in which role, with whom."""
    user = request.user
    context: dict = {}
    if user.is_system_admin:
        latest_year = (
            ProgramParticipation.objects.order_by("-fiscal_year")
            .values_list("fiscal_year", flat=True)
            .first()
        )
        context["roster"] = {
            "municipalities": Municipality.objects.count(),
            "latest_year_label": reiwa_fiscal_year_label(latest_year) if latest_year else None,
            "latest_year_count": ProgramParticipation.objects.filter(
                fiscal_year=latest_year
            ).count()
            if latest_year
            else 0,
        }
        return render(request, "municipalities/home_system_admin.html", context)
    membership = active_membership(user)
    if membership is None:
        return render(request, "municipalities/home_no_membership.html", status=403)
    fiscal_year = fiscal_year_of(timezone.localdate())
    context["participation"] = (
        ProgramParticipation.objects.filter(
            municipality_id=membership.municipality_id, fiscal_year__lte=fiscal_year
        )
        .order_by("-fiscal_year")
        .first()
    )
    context["colleagues"] = (
        Membership.objects.for_user(user)
        .filter(is_active=True)
        .select_related("user", "organisation")
        .order_by("role", "user__username")
    )
    context["staff_counts"] = Membership.objects.for_user(user).aggregate(
        active=Count("pk", filter=Q(is_active=True))
    )
    return render(request, "municipalities/home.html", context)


@role_required(Role.MANAGER)
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Managers issue API tokens for their municipality's staff and see every token of
    the municipality. A new token's key is shown once, in the answer to its POST."""
    form = ApiTokenForm(request.POST or None, manager=request.user)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            token, key = api_token_issue(
                manager=request.user,
                owner=form.cleaned_data["owner"],
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                days=form.cleaned_data["days"],
                request=request,
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            issued = {"token": token, "key": key}
            messages.success(
                request, _("A new token was issued. Copy it now: it is shown only once.")
            )
            form = ApiTokenForm(manager=request.user)
    if request.method == "POST" and issued is None:
        messages.error(request, _("No token was issued: correct the marked fields."))
    return render(
        request,
        "municipalities/api_tokens.html",
        {
            "form": form,
            "issued": issued,
            "tokens": api_token_list(request.user),
            "now": timezone.now(),
        },
        status=form_status(request) if issued is None else 200,
    )


@role_required(Role.MANAGER)
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one token (404 for another municipality's, whatever the method)."""
    token = api_token_get_for_manager(request.user, token_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    api_token_revoke(manager=request.user, token=token, request=request)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_tokens")
