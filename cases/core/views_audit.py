"""The managers' audit search page and its CSV export."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core.audit_search import (
    EXPORT_LIMIT,
    PAGE_SIZE,
    AuditSearchForm,
    audit_events_for_manager,
    audit_rows,
)
from municipalities.audit import audit_write
from municipalities.decorators import role_required
from municipalities.models import AuditEvent, Role
from municipalities.scoping import tenant_id_for
from portal.exports import csv_response


@role_required(Role.MANAGER)
def audit_search(request: HttpRequest) -> HttpResponse:
    """Search the municipality's audit trail by person, staff member, dates and action.
    System administrators have no access: the trail names the people whose records were
    opened."""
    form = AuditSearchForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        return render(request, "cases/audit_search.html", {"form": form}, status=400)
    filters = form.cleaned_data if form.is_bound else {}
    recorded = form.filters_for_audit() if form.is_bound else {}
    events = audit_events_for_manager(request.user, filters)
    municipality_id = tenant_id_for(request.user)
    if request.GET.get("export") == "csv":
        rows = audit_rows(request.user, list(events[:EXPORT_LIMIT]))
        audit_write(
            user=request.user,
            municipality_id=municipality_id,
            action=AuditEvent.Action.EXPORT,
            detail={"export": "audit_search", "filters": recorded, "rows": len(rows)},
            request=request,
        )
        header = [
            _("Time"),
            _("Staff"),
            _("Operation"),
            _("Record"),
            _("Person concerned"),
            _("Case"),
            _("Purpose"),
            _("Page or event"),
            "IP",
        ]
        table = [
            [
                timezone.localtime(r.event.at).strftime("%Y-%m-%d %H:%M:%S"),
                str(r.event.user or ""),
                r.event.get_action_display(),
                r.record,
                r.person,
                r.event.case_id or "",
                r.purpose,
                r.page,
                r.event.ip_address or "",
            ]
            for r in rows
        ]
        stamp = timezone.localdate().isoformat()
        return csv_response(f"audit-{stamp}", [(_("Audit trail"), header, table)])
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = audit_rows(request.user, list(page.object_list))
    audit_write(
        user=request.user,
        municipality_id=municipality_id,
        action=AuditEvent.Action.SEARCH,
        detail={"page": "audit_search", "filters": recorded, "page_number": page.number},
        request=request,
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        "cases/audit_search.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )
