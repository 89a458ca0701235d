"""The page of who is on a case: its lead agency (主担当機関) and the agencies involved
(関係機関), and the changes the lead, the case's caseworker or the office may make; and
the 情報提供書 that provides the case's record to an agency on paper."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core import provision, queries, sharing
from cases.core.forms import CaseAgencyForm, CaseAgencyStaffForm, CaseProvisionForm
from cases.core.pages import case_staff_required, form_page
from cases.models import Case, CaseAgency, Meeting
from municipalities.models import User
from portal.errors import CaseRuleError
from portal.forms import add_rule_error


def _support_meetings(case: Case):
    """支援会議 that discussed the case: the possible bases for sharing without consent."""
    return Meeting.objects.filter(
        municipality_id=case.municipality_id, kind=Meeting.Kind.SUPPORT, case_items__case=case
    ).order_by("-held_on", "-pk")


def _valid_post(request: HttpRequest, form: Any, allowed: bool, message: str) -> bool:
    """A POST to act on: by someone allowed to, with a valid form. Someone who may not
    gets the form back with ``message``."""
    if request.method != "POST":
        return False
    if not allowed:
        form.is_valid()
        form.add_error(None, message)
        return False
    return form.is_valid()


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


def _rows(user: User, case: Case) -> list[dict]:
    """The agencies on the case with who works it in each, and the staff each may name:
    three queries whatever the number of agencies."""
    links = list(
        CaseAgency.objects.filter(case=case)
        .select_related("agency", "assigned_to")
        .order_by("agency__field", "agency__name")
    )
    assignable = [link.agency for link in links if sharing.can_assign_in(user, case, link.agency)]
    staff: dict[int, list[User]] = {}
    if assignable:
        for person in sharing.agencies_staff(assignable):
            staff.setdefault(person.organisation_id, []).append(person)
    return [
        {
            "link": link,
            "agency": link.agency,
            "staff": staff.get(link.agency.organisation_id, []),
            "can_assign": link.agency in assignable,
        }
        for link in links
    ]


def _assign(request: HttpRequest, case: Case) -> str | None:
    """The staff form of one agency row: the message to show, or None if invalid."""
    form = CaseAgencyStaffForm(request.POST)
    if not form.is_valid():
        return None
    link = CaseAgency.objects.filter(case=case, pk=form.cleaned_data["agency"]).first()
    if link is None:
        return None
    staff_id = form.cleaned_data["staff"]
    staff = User.objects.filter(pk=staff_id).first() if staff_id else None
    if staff_id and staff is None:
        return None
    sharing.case_agency_assign(user=request.user, case=case, agency=link.agency, staff=staff)
    return _("Saved who works the case at %(agency)s.") % {"agency": link.agency}


@case_staff_required
def case_agencies(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_get_for_user(request.user, case_id)
    can_change = sharing.can_manage_agencies(request.user, case)
    staff_error = ""
    if request.method == "POST" and request.POST.get("action") == "assign":
        try:
            message = _assign(request, case)
        except CaseRuleError as exc:
            staff_error = exc.message
        else:
            if message is not None:
                messages.success(request, message)
                return redirect("cases:case_agencies", case_id=case.pk)
            staff_error = _("Choose a member of the agency's staff from the list.")
    form = CaseAgencyForm(
        request.POST or None,
        municipality_id=case.municipality_id,
        meetings=_support_meetings(case),
    )
    if not staff_error and _valid_post(
        request,
        form,
        can_change,
        _("Only the lead agency, the case's caseworker or the office can change this."),
    ):
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
        rows=_rows(request.user, case),
        staff_error=staff_error,
    )


@case_staff_required
def case_provide(request: HttpRequest, case_id: int) -> HttpResponse:
    """情報提供書: choose the agency, the basis and what to provide; the answer to a valid
    POST is the document, laid out for A4 (print it or save it as a PDF)."""
    case = queries.case_get_for_user(request.user, case_id)
    can_provide = sharing.can_manage_agencies(request.user, case)
    form = CaseProvisionForm(
        request.POST or None,
        municipality_id=case.municipality_id,
        meetings=_support_meetings(case),
        initial={"since": timezone.localdate() - timedelta(days=provision.DEFAULT_SINCE_DAYS)},
    )
    if _valid_post(
        request,
        form,
        can_provide,
        _("Only the lead agency, the case's caseworker or the office can provide the record."),
    ):
        data = form.cleaned_data
        try:
            document = provision.case_provide(
                user=request.user,
                case=case,
                agency=data["agency"],
                sections=tuple(data["sections"]),
                meeting=data["meeting"],
                since=data["since"],
                request=request,
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            return render(request, "cases/provision_document.html", {"doc": document})
    return form_page(
        request,
        _("Provide the record to an agency"),
        form,
        case=case,
        template="cases/case_provide.html",
        status=400 if request.method == "POST" else 200,
        can_provide=can_provide,
    )
