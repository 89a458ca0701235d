"""Pages of 多機関協働: plans, meetings, referrals and their inbox, and the agencies."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.collaboration import queries, services
from cases.collaboration.forms import (
    AgencyForm,
    MeetingForm,
    PlanEvaluationForm,
    PlanForm,
    ReferralForm,
    ReferralResponseForm,
)
from cases.core import queries as core_queries
from cases.core.pages import case_staff_required, form_page
from cases.core.picker import case_from_reference
from cases.models import Meeting, MeetingCase, SupportAgency
from cases.programs import CONSULTATION
from cases.registry import get_program, program_of_role
from municipalities.audit import audit_list, audit_view
from municipalities.models import Membership
from municipalities.scoping import active_membership
from portal.errors import CaseRuleError
from portal.forms import add_rule_error


@case_staff_required
def plan_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = core_queries.case_get_for_user(request.user, case_id)
    latest = case.plans.order_by("-version").prefetch_related("actions").first()
    initial: dict[str, Any] = {"review_on": timezone.localdate() + datetime.timedelta(days=90)}
    if latest is None:  # the first plan starts from the assessment
        initial.update(queries.plan_start_from_assessment(case))
    else:  # a new version starts from the previous one
        initial.update(
            goals=latest.goals,
            uses_participation=latest.uses_participation,
            uses_outreach=latest.uses_outreach,
            lead_agency=latest.lead_agency,
            wishes=latest.wishes,
            issues=latest.issues,
            long_term_goal=latest.long_term_goal,
            short_term_goal=latest.short_term_goal,
            members=list(latest.members.all()),
        )
        for i, action in enumerate(latest.actions.all()[:5]):
            initial[f"action_{i}_agency"] = action.agency
            initial[f"action_{i}_text"] = action.action
    form = PlanForm(
        request.POST or None,
        initial=initial,
        municipality_id=case.municipality_id,
        household_id=case.household_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(
                user=request.user,
                case=case,
                goals=form.cleaned_data["goals"],
                review_on=form.cleaned_data["review_on"],
                actions=form.actions(),
                uses_participation=form.cleaned_data["uses_participation"],
                uses_outreach=form.cleaned_data["uses_outreach"],
                lead_agency=form.cleaned_data["lead_agency"],
                form=services.PlanItems(**form.items()),
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Plan version %(v)d was saved as a draft. It becomes "
                    "“support decided” when a multi-agency support meeting "
                    "approves it."
                )
                % {"v": plan.version},
            )
            return redirect("cases:case_detail", case_id=case.pk)
    return form_page(
        request,
        _("Support plan"),
        form,
        case=case,
        template="cases/plan_form.html",
        status=400 if request.method == "POST" else 200,
    )


@case_staff_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = queries.plan_get_for_user(request.user, plan_id)
    audit_view(request, plan, case_id=plan.case_id, person_id=plan.case.person_id)
    return render(
        request,
        "cases/plan_detail.html",
        {"plan": plan, "case": plan.case, "sheets": queries.evaluation_sheets(plan)},
    )


@case_staff_required
def plan_evaluate(request: HttpRequest, plan_id: int) -> HttpResponse:
    """評価シート of a plan: goal by goal, attached to a meeting's review of it."""
    plan = queries.plan_get_for_user(request.user, plan_id)
    reviews = services.plan_reviews(plan)
    goals = [g for g in (plan.short_term_goal, plan.long_term_goal) if g] or [plan.goals]
    initial: dict[str, Any] = {"evaluated_on": timezone.localdate()}
    initial.update({f"goal_{i}": goal[:300] for i, goal in enumerate(goals)})
    if reviews:
        initial["review"] = str(reviews[0].pk)
    form = PlanEvaluationForm(request.POST or None, initial=initial, reviews=reviews)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_evaluate(
                user=request.user,
                plan=plan,
                entries=[services.EvaluationEntry(*row) for row in form.entries()],
                review=form.reviews.get(form.cleaned_data["review"]),
                evaluated_on=form.cleaned_data["evaluated_on"],
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The evaluation was recorded."))
            return redirect("cases:plan_detail", plan_id=plan.pk)
    return form_page(
        request,
        _("Evaluation sheet"),
        form,
        case=plan.case,
        template="cases/plan_evaluation_form.html",
        status=400 if request.method == "POST" else 200,
        plan=plan,
    )


@case_staff_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    meetings = list(queries.meetings_visible_to(request.user).order_by("-held_on", "-pk")[:200])
    return render(request, "cases/meeting_list.html", {"meetings": meetings})


def _agenda(user: Any, form: MeetingForm) -> list | None:
    """The agenda's items: the case each row names (a number, just the sequence, or the
    person) with that row's decision, or None with an error on each row whose reference
    names none or several cases."""
    items, failed = [], False
    for i, reference, decision in form.agenda():
        try:
            case = case_from_reference(user, reference, f"item_{i}_case")
        except CaseRuleError as exc:
            form.add_error(f"item_{i}_case", exc.message)
            failed = True
            continue
        items.append(
            services.MeetingItemData(
                case=case,
                plan=services.plan_for_decision(case, decision["decision"]),
                **decision,
            )
        )
    return None if failed else items


@case_staff_required
def meeting_add(request: HttpRequest) -> HttpResponse:
    user = request.user
    municipality = active_membership(user).municipality
    initial: dict[str, Any] = {"held_on": timezone.localdate()}
    if request.GET.get("case"):
        try:
            case = core_queries.case_get_for_user(user, int(request.GET["case"]))
        except ValueError:
            raise Http404 from None
        initial["item_0_case"] = case.number
    if request.GET.get("kind") in Meeting.Kind.values:  # e.g. a 支援会議 from a flag
        initial["kind"] = request.GET["kind"]
    agencies = _agencies_by_name(municipality.pk)  # read once: attendees, rows and the list
    form = MeetingForm(
        request.POST or None,
        initial=initial,
        municipality_id=municipality.pk,
        agencies=sorted(agencies.values(), key=lambda a: (a.field, a.name)),
    )
    if request.method == "POST" and form.is_valid():
        items = _agenda(user, form)
        if items is not None:
            try:
                meeting = services.meeting_record(
                    user=user,
                    municipality=municipality,
                    kind=form.cleaned_data["kind"],
                    held_on=form.cleaned_data["held_on"],
                    title=form.cleaned_data["title"],
                    notes=form.cleaned_data["notes"],
                    attendees=_attendees(form, agencies),
                    items=items,
                )
            except CaseRuleError as exc:
                _agenda_error(form, exc, items)
            else:
                messages.success(request, _("The meeting was recorded."))
                return redirect("cases:meeting_detail", meeting_id=meeting.pk)
    staff = (
        Membership.objects.filter(municipality=municipality, is_active=True)
        .select_related("user")
        .order_by("user__display_name", "user__username")
    )
    return render(
        request,
        "cases/meeting_form.html",
        {
            "form": form,
            "agency_names": sorted(agencies),
            "staff_names": [str(m.user) for m in staff],
            "picker_url": reverse("cases:case_picker"),
        },
        status=400 if request.method == "POST" else 200,
    )


ROW_FIELDS = {"next_review_on": "review_on", "lead_agency": "lead_agency"}


def _agenda_error(form: MeetingForm, exc: CaseRuleError, items: list) -> None:
    """A service's error about one row's decision is shown on that row's field."""
    field = ROW_FIELDS.get(exc.field or "")
    if field is None:
        add_rule_error(form, exc)
        return
    rows = [i for i, _reference, _decision in form.agenda()]
    for row, item in zip(rows, items, strict=True):
        if item.case.number in exc.message:
            form.add_error(f"item_{row}_{field}", exc.message)
            return
    form.add_error(None, exc.message)


def _agencies_by_name(municipality_id: int) -> dict[str, SupportAgency]:
    return {
        a.name: a
        for a in SupportAgency.objects.filter(municipality_id=municipality_id, is_active=True)
    }


def _attendees(form: MeetingForm, agencies: dict[str, SupportAgency]) -> list:
    """The attendee rows; one whose organisation is an agency's name attends for that
    agency, so that the consent check of a 重層的支援会議 applies to it."""
    return [
        services.AttendeeData(
            name=form.cleaned_data[f"attendee_{i}_name"],
            organisation=form.cleaned_data[f"attendee_{i}_organisation"],
            agency=agencies.get(form.cleaned_data[f"attendee_{i}_organisation"].strip()),
            secrecy_acknowledged=form.cleaned_data[f"attendee_{i}_secrecy"],
        )
        for i in range(len(form.attendee_rows()))
    ]


@case_staff_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = queries.meeting_get_for_user(request.user, meeting_id)
    audit_view(request, meeting, detail={"cases": [i.case_id for i in meeting.case_items.all()]})
    return render(
        request, "cases/meeting_detail.html", {"meeting": meeting, "Decision": MeetingCase.Decision}
    )


@case_staff_required
def referral_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = core_queries.case_get_for_user(request.user, case_id)
    form = ReferralForm(request.POST or None, municipality_id=case.municipality_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_create(
                user=request.user,
                case=case,
                from_program=CONSULTATION,
                from_agency=_own_agency(request.user),
                **form.cleaned_data,
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The referral was sent."))
            return redirect("cases:case_detail", case_id=case.pk)
    return form_page(
        request,
        _("Refer to another program"),
        form,
        case=case,
        status=400 if request.method == "POST" else 200,
    )


def _own_agency(user: Any) -> SupportAgency | None:
    """The agency the user works in (a referral from its staff is from it), if any."""
    membership = active_membership(user)
    if membership is None or membership.organisation_id is None:
        return None
    return SupportAgency.objects.filter(organisation_id=membership.organisation_id).first()


@login_required
def referral_inbox(request: HttpRequest) -> HttpResponse:
    membership = active_membership(request.user)
    if membership is None or request.user.is_system_admin:
        raise PermissionDenied
    program = program_of_role(membership.role) or CONSULTATION
    referrals = queries.referral_inbox(request.user, program)
    audit_list(request, "referral_inbox", [r.case_id for r in referrals])
    return render(
        request,
        "cases/referral_inbox.html",
        {"referrals": referrals, "program": get_program(program)},
    )


@login_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Caseworkers see the case; the receiving program sees name, contact and reason."""
    referral = queries.referral_get_for_user(request.user, referral_id)
    audit_view(request, referral, case_id=referral.case_id, person_id=referral.case.person_id)
    receiving = services.can_respond(request.user, referral)
    return render(
        request,
        "cases/referral_detail.html",
        {
            "referral": referral,
            "person": referral.case.person,
            # The receiving agency sees the person and the reason; the case only once it
            # is on it (need to know).
            "full_access": core_queries.can_see_case(request.user, referral.case_id),
            "can_answer": receiving and services.referral_can_answer(referral),
            "can_complete": receiving and services.referral_can_complete(referral),
            "response_form": ReferralResponseForm(),
        },
    )


@login_required
def referral_respond(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = queries.referral_get_for_user(request.user, referral_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ReferralResponseForm(request.POST)
    if form.is_valid():
        action, note = form.cleaned_data["action"], form.cleaned_data["note"]
        try:
            if action == "complete":
                services.referral_complete(user=request.user, referral=referral, note=note)
            else:
                services.referral_respond(
                    user=request.user, referral=referral, accept=action == "accept", note=note
                )
        except CaseRuleError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your answer was recorded."))
    else:
        messages.error(request, _("Choose an answer."))
    return redirect("cases:referral_detail", referral_id=referral.pk)


@case_staff_required
def agency_list(request: HttpRequest) -> HttpResponse:
    municipality = active_membership(request.user).municipality
    form = AgencyForm(request.POST or None, municipality_id=municipality.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.agency_create(
                user=request.user, municipality=municipality, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The agency was added."))
            return redirect("cases:agency_list")
    agencies = list(queries.agencies_visible_to(request.user).order_by("field", "name"))
    return render(
        request,
        "cases/agency_list.html",
        {"agencies": agencies, "form": form},
        status=400 if request.method == "POST" else 200,
    )
