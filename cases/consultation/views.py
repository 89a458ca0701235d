"""Pages of 包括的相談支援: the dashboard, person search, the one-form intake and the
consultation notes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.consultation import queries, services
from cases.consultation.forms import (
    ConsultationAmendForm,
    ConsultationForm,
    EmergencyLookForm,
    IntakeForm,
    ReasonForm,
    SearchForm,
)
from cases.core import queries as core_queries
from cases.core import sharing
from cases.core.forms import PersonForm
from cases.core.pages import case_staff_required, form_page, municipality_id_of
from cases.core.queries import OFFICE_ROLES
from cases.models import EmergencyAccess
from municipalities.audit import audit_list, audit_view, audit_write
from municipalities.decorators import role_required
from municipalities.models import AuditEvent
from municipalities.scoping import active_membership, get_for_user_or_404
from portal.errors import CaseRuleError, RecordChanged
from portal.forms import add_rule_error


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
            *(look.case_id for look in context["emergency_looks"]),
        ],
    )
    return render(request, "cases/dashboard.html", context)


@case_staff_required
def person_search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results: list = []
    searched = known_elsewhere = False
    if form.is_bound and form.is_valid():
        query, birth_date = form.cleaned_data["q"], form.cleaned_data["birth_date"]
        if query or birth_date:
            searched = True
            results = queries.person_search(request.user, query, birth_date)
            # Nobody the searcher may see: say (without a name) whether another agency
            # holds someone like that, so the person is not registered twice.
            known_elsewhere = not results and queries.known_to_another_agency(
                request.user, queries.search_condition(query, birth_date)
            )
            audit_write(
                user=request.user,
                municipality_id=municipality_id_of(request),
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
        {
            "form": form,
            "results": results,
            "searched": searched,
            "known_elsewhere": known_elsewhere,
            "emergency_form": EmergencyLookForm(
                initial={
                    "q": form.cleaned_data.get("q"),
                    "birth_date": form.cleaned_data.get("birth_date"),
                }
            )
            if known_elsewhere
            else None,
        },
    )


@case_staff_required
def emergency_look(request: HttpRequest) -> HttpResponse:
    """緊急時の閲覧 from the search: the matching persons another agency holds are opened
    to the caseworker for a day, with the reason, audited and shown to the office."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = EmergencyLookForm(request.POST)
    if form.is_valid():
        query, birth_date = form.cleaned_data["q"], form.cleaned_data["birth_date"]
        persons = queries.hidden_matches(
            request.user,
            queries.search_condition(query, birth_date),
            sharing.EMERGENCY_MAX_PERSONS + 1,
        )
        try:
            sharing.emergency_look(
                user=request.user, persons=persons, reason=form.cleaned_data["reason"]
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.warning(
                request,
                _(
                    "Opened for %(hours)d hours for an emergency. The office has been told "
                    "and will read your reason."
                )
                % {"hours": EmergencyAccess.HOURS},
            )
            params = {"q": query, **({"birth_date": birth_date.isoformat()} if birth_date else {})}
            return redirect(f"{reverse('cases:person_search')}?{urlencode(params)}")
    return render(
        request,
        "cases/person_search.html",
        {
            "form": SearchForm(request.POST),
            "emergency_form": form,
            "results": [],
            "searched": True,
            "known_elsewhere": True,
        },
        status=400,
    )


@role_required(*OFFICE_ROLES)
def emergency_look_review(request: HttpRequest, look_id: int) -> HttpResponse:
    """The office has read an emergency look's reason: it leaves the dashboard."""
    look = get_for_user_or_404(EmergencyAccess.objects.all(), request.user, pk=look_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        sharing.emergency_look_review(user=request.user, look=look)
    except CaseRuleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as reviewed."))
    return redirect("cases:dashboard")


# Intake items reported to the national government: marked on the form, warned about
# on the case page when empty (cases.core.casepage.missing_for_national_reporting).
# Source: 厚生労働省「自立相談支援機関使用標準様式（帳票類）」and its 記入要領 (平成27年度用
# 改訂版, 平成27年3月25日): ※ marks the items always to be entered, which the national
# reporting of consultation support reads (性別, 生年月日 for the age, 相談経路, 相談内容 with
# the most pressing one). No source found marks ふりがな as reported: it is kept for search
# and not marked. Re-check against the printed form whenever the ministry revises it.
NATIONAL_INTAKE_FIELDS = (
    "sex",
    "birth_date",
    "route",
    "categories",
    "primary_category",
)


def _likely_duplicates(user: Any, form: Any, person_form: Any) -> tuple[list, bool]:
    """Persons like the new one the user may see, or else whether another agency holds
    one; either stops the save until the caseworker confirms a new person."""
    fields = person_form.cleaned_data
    duplicates = queries.person_duplicates(
        user, name=fields["name"], name_kana=fields["name_kana"], birth_date=fields["birth_date"]
    )
    if duplicates:
        form.add_error(
            None,
            _(
                "Persons like this one are already registered. "
                "Choose one of them, or confirm that this is a new person."
            ),
        )
        return duplicates, False
    condition = queries.duplicate_condition(
        fields["name"], fields["name_kana"], fields["birth_date"]
    )
    if queries.known_to_another_agency(user, condition):
        return [], True  # the page says so (``known_elsewhere``) and asks to confirm
    return [], False


def _person_chosen(request: HttpRequest, initial: dict[str, Any]) -> HttpResponse | None:
    """「この方が本人」 on the duplicate hint: the intake again with that person, keeping
    everything typed so far (nothing is checked or saved yet)."""
    chosen = request.POST.get("choose_person")
    if request.method != "POST" or not chosen:
        return None
    try:
        existing = core_queries.person_get_for_user(request.user, int(chosen))
    except (ValueError, TypeError):
        raise Http404 from None
    kept = {
        name: request.POST.getlist(name)
        if isinstance(field, (forms.MultipleChoiceField, forms.ModelMultipleChoiceField))
        else request.POST.get(name)
        for name, field in IntakeForm.base_fields.items()
        if name in request.POST and name not in ("existing_person", "not_a_duplicate")
    }
    form = IntakeForm(
        initial={**initial, **kept, "existing_person": existing.pk},
        municipality_id=municipality_id_of(request),
    )
    audit_view(request, existing, person_id=existing.pk, detail={"form": "intake"})
    return render(
        request,
        "cases/intake.html",
        {"form": form, "existing": existing, "national_fields": NATIONAL_INTAKE_FIELDS},
    )


@case_staff_required
def intake(request: HttpRequest) -> HttpResponse:
    """Person (found or new) + case + first consultation in one form."""
    user = request.user
    municipality_id = municipality_id_of(request)
    chosen = _person_chosen(
        request,
        {"occurred_at": timezone.localtime().replace(second=0, microsecond=0), "assigned_to": user},
    )
    if chosen is not None:
        return chosen
    existing = None
    person_id = request.POST.get("existing_person") or request.GET.get("person")
    if person_id:
        try:
            existing = core_queries.person_get_for_user(user, int(person_id))
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
    known_elsewhere = False
    if request.method == "POST":
        valid = form.is_valid() and (person_form is None or person_form.is_valid())
        if valid and person_form is not None and not form.cleaned_data["not_a_duplicate"]:
            duplicates, known_elsewhere = _likely_duplicates(user, form, person_form)
            valid = not (duplicates or known_elsewhere)
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
            "known_elsewhere": known_elsewhere,
            "national_fields": NATIONAL_INTAKE_FIELDS,
        },
        status=status,
    )


@case_staff_required
def consultation_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = core_queries.case_get_for_user(request.user, case_id)
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
    return form_page(
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
            return form_page(
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
    return form_page(
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
    return form_page(
        request,
        _("Withdraw a consultation entry"),
        form,
        case=consultation.case,
        status=400 if request.method == "POST" else 200,
    )
