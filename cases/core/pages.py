"""What every page of ``cases`` shares: the role gate, the form page and the user's
municipality."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cases.core.queries import CASE_ROLES
from cases.models import Case
from municipalities.audit import audit_view
from municipalities.decorators import role_required
from municipalities.scoping import active_membership

# Caseworkers and managers only; everyone else is refused before any lookup. The first
# gate of the pages: the services check the same roles (``require_role``).
case_staff_required = role_required(*CASE_ROLES)


def municipality_id_of(request: HttpRequest) -> int:
    return active_membership(request.user).municipality_id


def form_page(
    request: HttpRequest,
    title: str,
    form: Any,
    *,
    case: Case | None = None,
    template: str = "cases/form.html",
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    if case is not None and request.method == "GET":
        # A form page shows the case's header (and often its data): a view of the case.
        audit_view(request, case, case_id=case.pk, person_id=case.person_id, detail={"form": title})
    context = {"title": title, "form": form, "case": case, **extra}
    return render(request, template, context, status=status)
