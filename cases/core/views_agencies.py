"""The page of who is on a case: its lead agency (主担当機関) and the agencies involved
(関係機関), and the changes the lead, the case's caseworker or the office may make."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from cases.core import queries, sharing
from cases.core.forms import CaseAgencyForm
from cases.core.pages import case_staff_required, form_page
from cases.models import Case, Meeting
from portal.errors import CaseRuleError
from portal.forms import add_rule_error


def _support_meetings(case: Case):
    """支援会議 that discussed the case: the possible bases for sharing without consent."""
    return Meeting.objects.filter(
        municipality_id=case.municipality_id, kind=Meeting.Kind.SUPPORT, case_items__case=case
    ).order_by("-held_on", "-pk")


def _apply(request: HttpRequest, case: Case, data: dict) -> str:
    action, agency = data["action"], data["agency"]
    if action == CaseAgencyForm.REMOVE:
        sharing.case_agency_remove(
            user=request.user, case=case, agency=agency, reason=data["reason"]
        )
        return _("%(agency)s was taken off the case.") % {"agency": agency}
    if action == CaseAgencyForm.LEAD:
        sharing.case_lead_hand_over(
            user=request.user, case=case, agency=agency, meeting=data["meeting"]
        )
        return _("%(agency)s now leads the case.") % {"agency": agency}
    sharing.case_agency_add(user=request.user, case=case, agency=agency, meeting=data["meeting"])
    return _("%(agency)s was added to the case.") % {"agency": agency}


@case_staff_required
def case_agencies(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_get_for_user(request.user, case_id)
    can_change = sharing.can_manage_agencies(request.user, case)
    form = CaseAgencyForm(
        request.POST or None,
        municipality_id=case.municipality_id,
        meetings=_support_meetings(case),
    )
    if request.method == "POST" and not can_change:
        form.is_valid()
        form.add_error(
            None, _("Only the lead agency, the case's caseworker or the office can change this.")
        )
    elif request.method == "POST" and form.is_valid():
        try:
            message = _apply(request, case, form.cleaned_data)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, message)
            return redirect("cases:case_agencies", case_id=case.pk)
    return form_page(
        request,
        _("Agencies on the case"),
        form,
        case=case,
        template="cases/case_agencies.html",
        status=400 if request.method == "POST" else 200,
        can_change=can_change,
        involved=list(case.agencies.order_by("field", "name")),
    )
