"""The 重層 office's home (managers and 多機関協働担当): the municipality at a glance."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cases.core.office import office_overview
from cases.core.queries import OFFICE_ROLES
from municipalities.audit import audit_list
from municipalities.decorators import role_required


@role_required(*OFFICE_ROLES)
def office(request: HttpRequest) -> HttpResponse:
    context = office_overview(request.user)
    audit_list(
        request,
        "office",
        [
            *(p.case_id for p in context["reviews_overdue"]),
            *(r.case_id for r in context["referrals_late"]),
            *(look.case_id for look in context["emergency_looks"]),
        ],
    )
    return render(request, "cases/office.html", context)
