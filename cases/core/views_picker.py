"""The case picker's suggestions as the user types (JSON for the page's <datalist>)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from cases.core import picker
from cases.core.pages import case_staff_required, municipality_id_of
from municipalities.audit import audit_write
from municipalities.models import AuditEvent
from portal.forms import has_control_characters

MAX_QUERY = 100


@require_GET
@case_staff_required
def case_picker(request: HttpRequest) -> JsonResponse:
    query = request.GET.get("q", "").strip()
    if len(query) > MAX_QUERY or has_control_characters(query):
        return JsonResponse(
            {"detail": "q: at most 100 characters, no control characters"}, status=400
        )
    cases = picker.case_choices(request.user, query) if query else []
    if cases:
        # Names were shown: a search like any other.
        audit_write(
            user=request.user,
            municipality_id=municipality_id_of(request),
            action=AuditEvent.Action.SEARCH,
            detail={"picker": "case", "q": query, "results": [c.pk for c in cases]},
            request=request,
        )
    results = [{"id": c.pk, "number": c.number, "value": picker.label(c)} for c in cases]
    return JsonResponse({"results": results})
