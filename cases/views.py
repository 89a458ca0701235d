"""Pages of the caseworker's workspace. Thin: forms validate input, services write,
``cases.queries`` reads (scoped to the user's municipality), every view of personal
data is audited."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import flags as flag_engine
from cases import queries, services
from cases.forms import (
    AccessPurposeForm,
    AgencyForm,
    CaseEditForm,
    ConsentForm,
    ConsentWithdrawForm,
    ConsultationAmendForm,
    ConsultationForm,
    FlagDismissForm,
    FlagReferForm,
    FlagSnoozeForm,
    HouseholdForm,
    HouseholdMemberDetailsForm,
    HouseholdMemberForm,
    IntakeForm,
    MasterDataForm,
    MeetingForm,
    PersonEditForm,
    PersonForm,
    PlanForm,
    ReasonForm,
    ReferralForm,
    ReferralResponseForm,
    RuleSettingForm,
    SearchForm,
    StatusForm,
    add_rule_error,
)
from cases.models import (
    Case,
    Consent,
    ConsultationMethod,
    ContactRoute,
    IssueCategory,
    MeetingCase,
    Program,
)
from cases.rules import all_rules, get_rule
from cases.services import CaseRuleError, RecordChanged
from municipalities.audit import audit_list, audit_view, audit_write
from municipalities.decorators import role_required
from municipalities.models import AuditEvent, Role
from municipalities.scoping import active_membership, has_role

SENSITIVE_ACCESS_MINUTES = 30

# Caseworkers and managers only; everyone else is refused before any lookup.
case_staff_required = role_required(Role.CASEWORKER, Role.MANAGER)


def _municipality_id(request: HttpRequest) -> int:
    return active_membership(request.user).municipality_id


def _form_page(
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


# --- dashboard and search ----------------------------------------------------------


@case_staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context = queries.dashboard(request.user)
    audit_list(
        request,
        "dashboard",
        [
            *(c.pk for c in context["my_open_cases"]),
            *(c.case_id for c in context["follow_ups_today"] + context["follow_ups_overdue"]),
            *(r.case_id for r in context["referrals_waiting"]),
        ],
    )
    return render(request, "cases/dashboard.html", context)


@case_staff_required
def person_search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results: list = []
    searched = False
    if form.is_bound and form.is_valid():
        query, birth_date = form.cleaned_data["q"], form.cleaned_data["birth_date"]
        if query or birth_date:
            searched = True
            results = queries.person_search(request.user, query, birth_date)
            audit_write(
                user=request.user,
                municipality_id=_municipality_id(request),
                action=AuditEvent.Action.SEARCH,
                detail={
                    "q": query,
                    "birth_date": birth_date.isoformat() if birth_date else None,
                    "results": [p.pk for p in results],
                },
                request=request,
            )
    return render(
        request,
        "cases/person_search.html",
        {"form": form, "results": results, "searched": searched},
    )


@case_staff_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    context = queries.person_page(request.user, person_id)
    audit_view(request, context["person"], person_id=person_id)
    return render(request, "cases/person_detail.html", context)


@case_staff_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = queries.person_get_for_user(request.user, person_id)
    form = PersonEditForm(
        request.POST or None, instance=person, initial={"version": person.version}
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        person.refresh_from_db()
        try:
            services.person_update(
                user=request.user, person=person, version=form.cleaned_data["version"], **fields
            )
        except RecordChanged as exc:
            # Nothing was saved: show what is stored now, with its version.
            current = exc.current
            audit_view(request, current, person_id=current.pk, detail={"form": "conflict"})
            form = PersonEditForm(instance=current, initial={"version": current.version})
            return _form_page(
                request, _("Edit personal details"), form, status=409, conflict=exc.message
            )
        messages.success(request, _("Saved."))
        return redirect("cases:person_detail", person_id=person.pk)
    if request.method == "GET":
        audit_view(request, person, person_id=person.pk, detail={"form": "edit"})
    return _form_page(request, _("Edit personal details"), form, status=400 if form.errors else 200)


# --- intake ------------------------------------------------------------------------

# Intake items reported to the national government: marked on the form, warned about
# on the case page when empty (cases.queries.missing_for_national_reporting).
NATIONAL_INTAKE_FIELDS = (
    "name_kana",
    "sex",
    "birth_date",
    "route",
    "categories",
    "primary_category",
)


@case_staff_required
def intake(request: HttpRequest) -> HttpResponse:
    """Person (found or new) + case + first consultation in one form."""
    user = request.user
    municipality_id = _municipality_id(request)
    existing = None
    person_id = request.POST.get("existing_person") or request.GET.get("person")
    if person_id:
        try:
            existing = queries.person_get_for_user(user, int(person_id))
        except (ValueError, TypeError):
            raise Http404 from None
    initial = {
        "occurred_at": timezone.localtime().replace(second=0, microsecond=0),
        "assigned_to": user,
        "existing_person": existing.pk if existing else None,
    }
    form = IntakeForm(request.POST or None, initial=initial, municipality_id=municipality_id)
    person_form = None if existing else PersonForm(request.POST or None, prefix="person")
    duplicates: list = []
    if request.method == "POST":
        valid = form.is_valid() and (person_form is None or person_form.is_valid())
        if valid and person_form is not None and not form.cleaned_data["not_a_duplicate"]:
            duplicates = queries.person_duplicates(
                user,
                name=person_form.cleaned_data["name"],
                name_kana=person_form.cleaned_data["name_kana"],
                birth_date=person_form.cleaned_data["birth_date"],
            )
            if duplicates:
                valid = False
                form.add_error(
                    None,
                    _(
                        "Persons like this one are already registered. "
                        "Choose one of them, or confirm that this is a new person."
                    ),
                )
        if valid:
            cleaned = form.cleaned_data
            person_fields = (
                {name: person_form.cleaned_data[name] for name in PersonForm.Meta.fields}
                if person_form is not None
                else None
            )
            try:
                _person, case, _consultation = services.intake_record(
                    user=user,
                    municipality=active_membership(user).municipality,
                    person=existing,
                    person_fields=person_fields,
                    route=cleaned["route"],
                    categories=list(cleaned["categories"]),
                    primary_category=cleaned["primary_category"],
                    consultation=services.ConsultationData(
                        occurred_at=cleaned["occurred_at"],
                        method=cleaned["method"],
                        summary=cleaned["summary"],
                        follow_up_on=cleaned["follow_up_on"],
                        visitor_name=cleaned["visitor_name"],
                        visitor_relationship=cleaned["visitor_relationship"],
                        visitor_phone=cleaned["visitor_phone"],
                    ),
                    assigned_to=cleaned["assigned_to"],
                    is_sensitive=cleaned["is_sensitive"],
                )
            except CaseRuleError as exc:
                add_rule_error(form, exc)
            else:
                messages.success(
                    request, _("Case %(number)s was opened.") % {"number": case.number}
                )
                return redirect("cases:case_detail", case_id=case.pk)
    if existing is not None and request.method == "GET":
        audit_view(request, existing, person_id=existing.pk, detail={"form": "intake"})
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "cases/intake.html",
        {
            "form": form,
            "person_form": person_form,
            "existing": existing,
            "duplicates": duplicates,
            "national_fields": NATIONAL_INTAKE_FIELDS,
        },
        status=status,
    )


# --- case page and its forms --------------------------------------------------------


@case_staff_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    sensitive = queries.case_get_for_user(request.user, case_id)
    if sensitive.is_sensitive:
        # DV and abuse cases: the purpose of access is asked and recorded, once per
        # case and session (SENSITIVE_ACCESS_MINUTES at most).
        granted = request.session.get("sensitive_access", {})
        now = int(timezone.now().timestamp())
        if now - granted.get(str(case_id), 0) > SENSITIVE_ACCESS_MINUTES * 60:
            form = AccessPurposeForm(request.POST or None)
            if request.method == "POST" and form.is_valid():
                audit_view(
                    request,
                    sensitive,
                    case_id=sensitive.pk,
                    person_id=sensitive.person_id,
                    detail={"purpose": form.cleaned_data["purpose"]},
                )
                granted[str(case_id)] = now
                request.session["sensitive_access"] = granted
                return redirect("cases:case_detail", case_id=case_id)
            return render(
                request,
                "cases/access_purpose.html",
                {"case_number": sensitive.number, "form": form},
                status=400 if request.method == "POST" else 200,
            )
    try:
        timeline_page = int(request.GET.get("timeline", 1))
    except ValueError:
        timeline_page = 1
    context = queries.case_page(request.user, case_id, case=sensitive, timeline_page=timeline_page)
    case = context["case"]
    audit_view(request, case, case_id=case.pk, person_id=case.person_id)
    context["status_form"] = StatusForm(allowed=services.allowed_transitions(case))
    context["is_manager"] = has_role(request.user, Role.MANAGER)
    return render(request, "cases/case_detail.html", context)


@case_staff_required
def case_status(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_get_for_user(request.user, case_id)
    form = StatusForm(request.POST or None, allowed=services.allowed_transitions(case))
    if request.method == "POST" and form.is_valid():
        try:
            services.case_change_status(
                user=request.user,
                case=case,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The status was changed."))
            return redirect("cases:case_detail", case_id=case.pk)
    return _form_page(
        request,
        _("Change status"),
        form,
        case=case,
        status=400 if request.method == "POST" else 200,
    )


def _case_edit_initial(case: Case) -> dict[str, Any]:
    current = list(case.case_categories.select_related("category"))
    return {
        "version": case.version,
        "route": case.route,
        "categories": [c.category for c in current],
        "primary_category": next((c.category for c in current if c.is_primary), None),
        "assigned_to": case.assigned_to,
        "agencies": list(case.agencies.all()),
        "is_sensitive": case.is_sensitive,
    }


@case_staff_required
def case_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_get_for_user(request.user, case_id)
    form = CaseEditForm(
        request.POST or None,
        initial=_case_edit_initial(case),
        municipality_id=case.municipality_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.case_update(
                user=request.user,
                case=case,
                version=form.cleaned_data["version"],
                **{
                    "route": form.cleaned_data["route"],
                    "categories": list(form.cleaned_data["categories"]),
                    "primary_category": form.cleaned_data["primary_category"],
                    "assigned_to": form.cleaned_data["assigned_to"],
                    "agencies": list(form.cleaned_data["agencies"]),
                    "is_sensitive": form.cleaned_data["is_sensitive"],
                },
            )
        except RecordChanged as exc:
            # Nothing was saved: show what is stored now, with its version.
            current = queries.case_get_for_user(request.user, case_id)
            audit_view(
                request, current, case_id=current.pk, person_id=current.person_id,
                detail={"form": "conflict"},
            )  # fmt: skip
            form = CaseEditForm(
                initial=_case_edit_initial(current), municipality_id=current.municipality_id
            )
            return _form_page(
                request, _("Edit case"), form, case=current, status=409, conflict=exc.message
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:case_detail", case_id=case.pk)
    return _form_page(
        request, _("Edit case"), form, case=case, status=400 if request.method == "POST" else 200
    )


@case_staff_required
def consultation_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_get_for_user(request.user, case_id)
    initial = {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
    form = ConsultationForm(
        request.POST or None, initial=initial, municipality_id=case.municipality_id
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.consultation_log(
                user=request.user, case=case, data=services.ConsultationData(**form.cleaned_data)
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The consultation was recorded."))
            return redirect("cases:case_detail", case_id=case.pk)
    return _form_page(
        request,
        _("Record a consultation"),
        form,
        case=case,
        status=400 if request.method == "POST" else 200,
    )


def _amend_initial(consultation: Any) -> dict[str, Any]:
    return {
        "version": consultation.version,
        "summary": consultation.summary,
        "follow_up_on": consultation.follow_up_on,
    }


@case_staff_required
def consultation_edit(request: HttpRequest, consultation_id: int) -> HttpResponse:
    consultation = queries.consultation_get_for_user(request.user, consultation_id)
    case = consultation.case
    form = ConsultationAmendForm(request.POST or None, initial=_amend_initial(consultation))
    if request.method == "POST" and form.is_valid():
        try:
            services.consultation_amend(
                user=request.user, consultation=consultation, **form.cleaned_data
            )
        except RecordChanged as exc:
            # Nothing was saved: show the note as stored now, with its version.
            current = exc.current
            audit_view(request, current, case_id=case.pk, person_id=case.person_id)
            form = ConsultationAmendForm(initial=_amend_initial(current))
            return _form_page(
                request, _("Amend a consultation"), form, case=case, status=409,
                conflict=exc.message,
            )  # fmt: skip
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Saved. The earlier text is kept in the history."))
            return redirect("cases:case_detail", case_id=case.pk)
    if request.method == "GET":
        audit_view(request, consultation, case_id=case.pk, person_id=case.person_id)
    return _form_page(
        request,
        _("Amend a consultation"),
        form,
        case=case,
        status=400 if request.method == "POST" else 200,
    )


@case_staff_required
def consultation_withdraw(request: HttpRequest, consultation_id: int) -> HttpResponse:
    consultation = queries.consultation_get_for_user(request.user, consultation_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consultation_withdraw(
                user=request.user, consultation=consultation, reason=form.cleaned_data["reason"]
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The entry was withdrawn; it stays in the history."))
            return redirect("cases:case_detail", case_id=consultation.case_id)
    return _form_page(
        request,
        _("Withdraw a consultation entry"),
        form,
        case=consultation.case,
        status=400 if request.method == "POST" else 200,
    )


@case_staff_required
def household_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    """Create the household, or add a member (an existing person or a new one)."""
    case = queries.case_get_for_user(request.user, case_id)
    if case.household_id is None:
        form = HouseholdForm(
            request.POST or None,
            initial={"name": f"{case.person.name.split()[0]}家", "address": case.person.address},
        )
        if request.method == "POST" and form.is_valid():
            services.household_create(user=request.user, case=case, **form.cleaned_data)
            messages.success(request, _("The household was recorded."))
            return redirect("cases:household_edit", case_id=case.pk)
        return _form_page(
            request,
            _("Record the household"),
            form,
            case=case,
            status=400 if request.method == "POST" else 200,
        )

    form = HouseholdMemberForm(request.POST or None)
    person_form = PersonForm(request.POST or None, prefix="person")
    if request.method == "POST" and form.is_valid():
        existing_id = form.cleaned_data["existing_person"]
        try:
            with transaction.atomic():
                if existing_id:
                    person = queries.person_get_for_user(request.user, existing_id)
                elif person_form.is_valid():
                    person = services.person_create(
                        user=request.user,
                        municipality=case.municipality,
                        **{n: person_form.cleaned_data[n] for n in PersonForm.Meta.fields},
                    )
                else:
                    raise CaseRuleError(_("Choose an existing person or enter the new member."))
                fields = {k: v for k, v in form.cleaned_data.items() if k != "existing_person"}
                services.household_add_member(user=request.user, case=case, person=person, **fields)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        except Http404:
            form.add_error("existing_person", _("No such person."))
        else:
            messages.success(request, _("The member was added."))
            return redirect("cases:case_detail", case_id=case.pk)
    members = queries.case_page(request.user, case.pk, case=case)["members"]
    if request.method == "GET":
        audit_view(
            request, case, case_id=case.pk, person_id=case.person_id, detail={"form": "household"}
        )
    return render(
        request,
        "cases/household_edit.html",
        {
            "case": case,
            "form": form,
            "person_form": person_form,
            "members": members,
        },
        status=400 if request.method == "POST" else 200,
    )


@case_staff_required
def household_member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    member = queries.household_member_get_for_user(request.user, member_id)
    case = queries.cases_visible_to(request.user).filter(household_id=member.household_id).first()
    if case is None:
        raise Http404
    works = {None: "unknown", True: "true", False: "false"}[member.works]
    initial = {
        "relationship": member.relationship,
        "is_carer": member.is_carer,
        "needs_care": member.needs_care,
        "works": works,
        "notes": member.notes,
    }
    form = HouseholdMemberDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_member_update(
                user=request.user, case=case, member=member, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:case_detail", case_id=case.pk)
    if request.method == "GET":
        audit_view(request, member.person, person_id=member.person_id, case_id=case.pk)
    title = _("Household member: %(name)s") % {"name": member.person.name}
    return _form_page(
        request, title, form, case=case, status=400 if request.method == "POST" else 200
    )


@case_staff_required
def household_member_leave(request: HttpRequest, member_id: int) -> HttpResponse:
    member = queries.household_member_get_for_user(request.user, member_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    case = queries.cases_visible_to(request.user).filter(household_id=member.household_id).first()
    if case is None:
        raise Http404
    try:
        services.household_member_leave(
            user=request.user, case=case, member=member, left_on=timezone.localdate()
        )
    except CaseRuleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The member was recorded as having left."))
    return redirect("cases:case_detail", case_id=case.pk)


@case_staff_required
def consent_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_get_for_user(request.user, case_id)
    form = ConsentForm(
        request.POST or None,
        initial={"given_on": timezone.localdate()},
        municipality_id=case.municipality_id,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        covers = data.pop("covers")
        try:
            services.consent_record(
                user=request.user,
                person=case.person,
                case=case if covers == "case" else None,
                **data,
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect("cases:case_detail", case_id=case.pk)
    return _form_page(
        request,
        _("Record consent"),
        form,
        case=case,
        status=400 if request.method == "POST" else 200,
    )


@case_staff_required
def consent_withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    consent: Consent = queries.consent_get_for_user(request.user, consent_id)
    form = ConsentWithdrawForm(request.POST or None, initial={"withdrawn_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(user=request.user, consent=consent, **form.cleaned_data)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The withdrawal was recorded."))
            if consent.case_id:
                return redirect("cases:case_detail", case_id=consent.case_id)
            return redirect("cases:person_detail", person_id=consent.person_id)
    return _form_page(
        request,
        _("Record withdrawal of consent"),
        form,
        case=consent.case,
        status=400 if request.method == "POST" else 200,
    )


@case_staff_required
def plan_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_get_for_user(request.user, case_id)
    latest = case.plans.order_by("-version").prefetch_related("actions").first()
    initial: dict[str, Any] = {"review_on": timezone.localdate() + datetime.timedelta(days=90)}
    if latest is not None:  # a new version starts from the previous one
        initial.update(
            goals=latest.goals,
            uses_participation=latest.uses_participation,
            uses_outreach=latest.uses_outreach,
            lead_agency=latest.lead_agency,
        )
        for i, action in enumerate(latest.actions.all()[:5]):
            initial[f"action_{i}_agency"] = action.agency
            initial[f"action_{i}_text"] = action.action
    form = PlanForm(request.POST or None, initial=initial, municipality_id=case.municipality_id)
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
    return _form_page(
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
    return render(request, "cases/plan_detail.html", {"plan": plan, "case": plan.case})


@case_staff_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    meetings = list(queries.meetings_visible_to(request.user).order_by("-held_on", "-pk")[:200])
    return render(request, "cases/meeting_list.html", {"meetings": meetings})


@case_staff_required
def meeting_add(request: HttpRequest) -> HttpResponse:
    user = request.user
    municipality = active_membership(user).municipality
    initial: dict[str, Any] = {"held_on": timezone.localdate()}
    if request.GET.get("case"):
        try:
            case = queries.case_get_for_user(user, int(request.GET["case"]))
        except ValueError:
            raise Http404 from None
        initial["case_numbers"] = case.number
    form = MeetingForm(request.POST or None, initial=initial, municipality_id=municipality.pk)
    if request.method == "POST" and form.is_valid():
        numbers = form.case_number_list()
        cases = {c.number: c for c in queries.cases_visible_to(user).filter(number__in=numbers)}
        unknown = [n for n in numbers if n not in cases]
        if unknown:
            form.add_error(
                "case_numbers", _("No such case: %(numbers)s") % {"numbers": "、".join(unknown)}
            )
        else:
            decision = form.cleaned_data["decision"]
            items = []
            for number in numbers:
                case = cases[number]
                plan = None
                if decision in services.PLAN_DECISIONS:
                    plan = (
                        case.plans.exclude(status__in=["superseded", "closed"])
                        .order_by("-version")
                        .first()
                    )
                items.append(
                    services.MeetingItemData(
                        case=case,
                        decision=decision,
                        plan=plan,
                        note=form.cleaned_data["decision_note"],
                    )
                )
            attendees = [
                services.AttendeeData(
                    name=form.cleaned_data[f"attendee_{i}_name"],
                    organisation=form.cleaned_data[f"attendee_{i}_organisation"],
                    secrecy_acknowledged=form.cleaned_data[f"attendee_{i}_secrecy"],
                )
                for i in range(len(form.attendee_rows()))
            ]
            try:
                meeting = services.meeting_record(
                    user=user,
                    municipality=municipality,
                    kind=form.cleaned_data["kind"],
                    held_on=form.cleaned_data["held_on"],
                    title=form.cleaned_data["title"],
                    notes=form.cleaned_data["notes"],
                    attendees=attendees,
                    items=items,
                )
            except CaseRuleError as exc:
                add_rule_error(form, exc)
            else:
                messages.success(request, _("The meeting was recorded."))
                return redirect("cases:meeting_detail", meeting_id=meeting.pk)
    return render(
        request,
        "cases/meeting_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@case_staff_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = queries.meeting_get_for_user(request.user, meeting_id)
    audit_view(request, meeting, detail={"cases": [i.case_id for i in meeting.case_items.all()]})
    return render(
        request, "cases/meeting_detail.html", {"meeting": meeting, "Decision": MeetingCase.Decision}
    )


# --- referrals ---------------------------------------------------------------------


@case_staff_required
def referral_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_get_for_user(request.user, case_id)
    form = ReferralForm(request.POST or None, municipality_id=case.municipality_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_create(
                user=request.user, case=case, from_program=Program.CONSULTATION, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The referral was sent."))
            return redirect("cases:case_detail", case_id=case.pk)
    return _form_page(
        request,
        _("Refer to another program"),
        form,
        case=case,
        status=400 if request.method == "POST" else 200,
    )


@login_required
def referral_inbox(request: HttpRequest) -> HttpResponse:
    membership = active_membership(request.user)
    if membership is None or request.user.is_system_admin:
        raise PermissionDenied
    program = queries.PROGRAM_OF_ROLE.get(membership.role, Program.CONSULTATION)
    referrals = queries.referral_inbox(request.user, program)
    audit_list(request, "referral_inbox", [r.case_id for r in referrals])
    return render(
        request, "cases/referral_inbox.html", {"referrals": referrals, "program": Program(program)}
    )


@login_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Caseworkers see the case; the receiving program sees name, contact and reason."""
    referral = queries.referral_get_for_user(request.user, referral_id)
    audit_view(request, referral, case_id=referral.case_id, person_id=referral.case.person_id)
    return render(
        request,
        "cases/referral_detail.html",
        {
            "referral": referral,
            "person": referral.case.person,
            "full_access": queries.can_see_cases(request.user),
            "can_respond": services.can_respond(request.user, referral),
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


# --- agencies and audit ------------------------------------------------------------


@case_staff_required
def agency_list(request: HttpRequest) -> HttpResponse:
    municipality = active_membership(request.user).municipality
    form = AgencyForm(request.POST or None)
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


@case_staff_required
def case_audit(request: HttpRequest, case_id: int) -> HttpResponse:
    case, audit, events = queries.case_audit_trail(request.user, case_id)
    audit_write(
        user=request.user,
        municipality_id=case.municipality_id,
        action=AuditEvent.Action.VIEW,
        obj=case,
        case_id=case.pk,
        person_id=case.person_id,
        detail={"page": "audit"},
        request=request,
    )
    return render(
        request, "cases/case_audit.html", {"case": case, "audit": audit, "events": events}
    )


@case_staff_required
def master_data(request: HttpRequest) -> HttpResponse:
    """The lists behind the forms; managers add their municipality's own entries."""
    municipality = active_membership(request.user).municipality
    is_manager = has_role(request.user, Role.MANAGER)
    form = MasterDataForm(request.POST or None)
    if request.method == "POST":
        if not is_manager:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.master_data_add(
                    user=request.user, municipality=municipality, **form.cleaned_data
                )
            except CaseRuleError as exc:
                add_rule_error(form, exc)
            else:
                messages.success(request, _("The entry was added."))
                return redirect("cases:master_data")
    lists = [
        (_("Issue categories"), IssueCategory.available_to(municipality.pk)),
        (_("Routes of contact"), ContactRoute.available_to(municipality.pk)),
        (_("Consultation methods"), ConsultationMethod.available_to(municipality.pk)),
    ]
    return render(
        request,
        "cases/master_data.html",
        {"lists": lists, "form": form, "is_manager": is_manager},
        status=400 if request.method == "POST" else 200,
    )


# --- referral flags ---------------------------------------------------------------------

FLAG_PAGE_SIZE = 50


def _page_number(request: HttpRequest) -> int:
    """The ``page`` query parameter: a positive number, 1 when missing or invalid."""
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100_000))
    except (TypeError, ValueError):
        return 1


@login_required
def flag_queue(request: HttpRequest) -> HttpResponse:
    if active_membership(request.user) is None or request.user.is_system_admin:
        raise PermissionDenied
    page = _page_number(request)
    start = (page - 1) * FLAG_PAGE_SIZE
    # One row more than a page tells whether there is a next page without a COUNT.
    rows = list(flag_engine.flag_queue(request.user)[start : start + FLAG_PAGE_SIZE + 1])
    flags = rows[:FLAG_PAGE_SIZE]
    audit_list(request, "flags", [f.case_id for f in flags if f.case_id])
    return render(
        request,
        "cases/flag_queue.html",
        {
            "flags": flags,
            "can_see_cases": queries.can_see_cases(request.user),
            "page": page,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if len(rows) > FLAG_PAGE_SIZE else None,
        },
    )


@login_required
def flag_detail(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = flag_engine.flag_get_for_user(request.user, flag_id)
    rule = get_rule(flag.rule)
    user = request.user
    forms_ = {
        "snooze": FlagSnoozeForm(
            request.POST if request.POST.get("action") == "snooze" else None,
            initial={"until": timezone.localdate() + datetime.timedelta(days=14)},
        ),
        "dismiss": FlagDismissForm(
            request.POST if request.POST.get("action") == "dismiss" else None
        ),
        "refer": FlagReferForm(
            request.POST if request.POST.get("action") == "refer" else None,
            initial={"reason": rule.describe({}) if rule else ""},
        ),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        form = forms_.get(action)
        if form is None:
            return HttpResponseNotAllowed(["POST"])
        if form.is_valid():
            try:
                if action == "snooze":
                    flag_engine.flag_snooze(user=user, flag=flag, **form.cleaned_data)
                elif action == "dismiss":
                    flag_engine.flag_dismiss(user=user, flag=flag, **form.cleaned_data)
                else:
                    flag_engine.flag_refer(user=user, flag=flag, **form.cleaned_data)
            except CaseRuleError as exc:
                add_rule_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("cases:flag_queue")
    else:
        audit_write(
            user=user,
            municipality_id=flag.municipality_id,
            action=AuditEvent.Action.VIEW,
            obj=flag,
            case_id=flag.case_id,
            person_id=flag.case.person_id if flag.case_id else None,
            request=request,
        )
    settings_ = flag_engine.rule_settings(flag.municipality_id)
    return render(
        request,
        "cases/flag_detail.html",
        {
            "flag": flag,
            "rule": rule,
            "explanation": rule.describe(settings_[rule.code][1]) if rule else "",
            "forms": forms_,
            "can_see_cases": queries.can_see_cases(user),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def rule_settings(request: HttpRequest) -> HttpResponse:
    """Managers switch rules and set thresholds; everyone may read them."""
    membership = active_membership(request.user)
    if membership is None or request.user.is_system_admin:
        raise PermissionDenied
    is_manager = membership.role == Role.MANAGER
    current = flag_engine.rule_settings(membership.municipality_id)
    code = request.POST.get("rule")
    rows = []
    for rule in all_rules():
        enabled, params = current[rule.code]
        bound = request.method == "POST" and code == rule.code
        form = RuleSettingForm(
            request.POST if bound else None,
            rule=rule,
            params=params,
            initial={"enabled": enabled},
            prefix=rule.code,
        )
        if bound:
            if not is_manager:
                raise PermissionDenied
            if form.is_valid():
                data = dict(form.cleaned_data)
                try:
                    flag_engine.rule_setting_save(
                        user=request.user,
                        municipality=membership.municipality,
                        rule=rule,
                        enabled=data.pop("enabled"),
                        params=data,
                    )
                except CaseRuleError as exc:
                    add_rule_error(form, exc)
                else:
                    messages.success(request, _("The rule was saved."))
                    return redirect("cases:rule_settings")
        rows.append((rule, rule.describe(params), enabled, form))
    return render(
        request,
        "cases/rule_settings.html",
        {
            "rows": rows,
            "is_manager": is_manager,
            "retention_years": membership.municipality.case_retention_years,
        },
        status=400 if request.method == "POST" else 200,
    )
