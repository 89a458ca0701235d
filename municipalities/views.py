from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from municipalities.models import Membership, Municipality, ProgramParticipation
from municipalities.scoping import active_membership
from portal.fiscal import fiscal_year_of, reiwa_fiscal_year_label


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page: who I am, where I work, in which role."""
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


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Managers issue and revoke API tokens for their municipality's staff. A token acts
    as its staff account: same municipality, same role, same audit."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied
    from django.db import transaction
    from django.shortcuts import redirect
    from django.utils.translation import gettext as _
    from rest_framework.authtoken.models import Token

    from municipalities.audit import audit_write
    from municipalities.forms import ApiTokenForm
    from municipalities.models import AuditEvent, Role

    membership = active_membership(request.user)
    if membership is None or membership.role != Role.MANAGER:
        raise PermissionDenied
    staff = (
        Membership.objects.for_user(request.user)
        .filter(is_active=True)
        .select_related("user", "user__auth_token", "organisation")
        .order_by("role", "user__username")
    )
    new_key = None
    status = 200
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and not form.is_valid():
        messages.error(request, _("The request was not understood; nothing was changed."))
        status = 400
    elif request.method == "POST":
        target = staff.filter(user_id=form.cleaned_data["user"]).first()
        if target is None:
            raise PermissionDenied
        with transaction.atomic():
            Token.objects.filter(user=target.user).delete()
            action = form.cleaned_data["action"]
            if action == "issue":
                new_key = Token.objects.create(user=target.user).key
                messages.success(
                    request, _("A new token was issued. Copy it now: it is shown only once.")
                )
            else:
                messages.success(request, _("The token was revoked."))
            audit_write(
                user=request.user,
                municipality_id=membership.municipality_id,
                action=AuditEvent.Action.UPDATE,
                detail={"api_token": action, "for": target.user_id},
                request=request,
            )
        if new_key is None:
            return redirect("api_tokens")
    rows = [(m, hasattr(m.user, "auth_token")) for m in staff]
    return render(
        request,
        "municipalities/api_tokens.html",
        {"rows": rows, "new_key": new_key},
        status=status,
    )
