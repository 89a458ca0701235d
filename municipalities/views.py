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
