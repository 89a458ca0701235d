"""Community pages: register of places and activities, platform sessions, the concern
form and the reporter's list, and the caseworkers' concern queue. Thin: forms
validate, services write, ``community.queries`` reads within the user's municipality."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.consultation import person_duplicates
from cases.core import (
    PersonForm,
    can_see_cases,
    case_from_reference,
    case_get_for_user,
    case_staff_required,
)
from cases.registry import record_actions
from community import queries, services
from community.forms import (
    ActivityRecordForm,
    CasePlaceForm,
    ConcernCloseForm,
    ConcernForm,
    ConcernLinkForm,
    OutcomeProviderForm,
    PlaceForm,
    PlatformSessionForm,
    RegisterFilterForm,
)
from municipalities.audit import audit_view, audit_write
from municipalities.decorators import role_required, staff_required
from municipalities.models import AuditEvent
from municipalities.scoping import active_membership
from portal.errors import CaseRuleError
from portal.forms import add_rule_error, form_status

# The first gate of the pages; the services check the same roles.
community_required = role_required(*queries.COMMUNITY_ROLES)


# --- places ---------------------------------------------------------------------------


@staff_required
def place_register(request: HttpRequest) -> HttpResponse:
    form = RegisterFilterForm(request.GET or None, areas=queries.place_areas(request.user))
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    places = queries.place_register(request.user, **{k: v for k, v in filters.items() if v})
    return render(
        request,
        "community/place_register.html",
        {"form": form, "places": places, "can_manage": queries.can_manage(request.user)},
    )


@staff_required
def place_detail(request: HttpRequest, place_id: int) -> HttpResponse:
    context = queries.place_page(request.user, place_id)
    context.update(
        can_manage=queries.can_manage(request.user),
        record_form=ActivityRecordForm(initial={"held_on": timezone.localdate()}),
    )
    return render(request, "community/place_detail.html", context)


@community_required
def place_edit(request: HttpRequest, place_id: int | None = None) -> HttpResponse:
    municipality = active_membership(request.user).municipality
    place = queries.place_get_for_user(request.user, place_id) if place_id else None
    form = PlaceForm(request.POST or None, instance=place)
    if request.method == "POST" and form.is_valid():
        if place is not None:
            place.refresh_from_db()
        try:
            saved = services.place_save(
                user=request.user, municipality=municipality, place=place, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("community:place_detail", place_id=saved.pk)
    title = _("Edit place or activity") if place else _("New place or activity")
    return render(
        request,
        "participation/form.html",
        {"form": form, "title": title},
        status=form_status(request),
    )


@community_required
def activity_record_add(request: HttpRequest, place_id: int) -> HttpResponse:
    place = queries.place_get_for_user(request.user, place_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ActivityRecordForm(request.POST)
    if form.is_valid():
        try:
            services.activity_record(user=request.user, place=place, **form.cleaned_data)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("community:place_detail", place_id=place.pk)
    context = queries.place_page(request.user, place_id)
    context.update(can_manage=True, record_form=form)
    return render(request, "community/place_detail.html", context, status=400)


# --- platform -------------------------------------------------------------------------


@staff_required
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = list(
        queries.sessions_visible_to(request.user)
        .prefetch_related("outcomes")
        .order_by("-held_on", "-pk")[:200]
    )
    return render(
        request,
        "community/session_list.html",
        {"sessions": sessions, "can_manage": queries.can_manage(request.user)},
    )


@community_required
def session_add(request: HttpRequest) -> HttpResponse:
    municipality = active_membership(request.user).municipality
    form = PlatformSessionForm(request.POST or None, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            session = services.platform_session_record(
                user=request.user,
                municipality=municipality,
                held_on=form.cleaned_data["held_on"],
                theme=form.cleaned_data["theme"],
                notes=form.cleaned_data["notes"],
                attendance=form.attendance(),
                outcomes=form.outcomes(),
                organisations=form.organisation_names(),
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The session was recorded."))
            return redirect("community:session_detail", session_id=session.pk)
    return render(
        request, "community/session_form.html", {"form": form}, status=form_status(request)
    )


@staff_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = queries.session_get_for_user(request.user, session_id)
    return render(
        request,
        "community/session_detail.html",
        {"session": session, "can_manage": queries.can_manage(request.user)},
    )


@login_required
def outcome_to_provider(request: HttpRequest, outcome_id: int) -> HttpResponse:
    outcome = queries.outcome_get_for_user(request.user, outcome_id)
    if not (queries.can_manage(request.user) or _is_coordinator(request)):
        raise Http404
    form = OutcomeProviderForm(
        request.POST or None,
        initial={"name": outcome.organisation, "host_support": outcome.description},
    )
    if request.method == "POST" and form.is_valid():
        try:
            provider, menu = services.outcome_to_provider(
                user=request.user,
                outcome=outcome,
                provider_fields=form.provider_fields(),
                menu_fields=form.menu_fields(),
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request, _("“%(name)s” is now a participation provider.") % {"name": provider.name}
            )
            if menu is not None:
                return redirect("participation:menu_detail", menu_id=menu.pk)
            return redirect("community:session_detail", session_id=outcome.session_id)
    return render(
        request,
        "participation/form.html",
        {
            "form": form,
            "title": _("Turn the new resource into a provider"),
            "intro": outcome.description,
        },
        status=form_status(request),
    )


def _is_coordinator(request: HttpRequest) -> bool:
    from participation.queries import can_manage

    return can_manage(request.user)


# --- concerns -------------------------------------------------------------------------


@login_required
def concern_add(request: HttpRequest) -> HttpResponse:
    """The fast form: what was noticed, how urgent, who (if known)."""
    if not (queries.can_manage(request.user) or can_see_cases(request.user)):
        raise PermissionDenied
    municipality = active_membership(request.user).municipality
    form = ConcernForm(request.POST or None, initial={"urgency": "normal"})
    if request.method == "POST" and form.is_valid():
        try:
            services.concern_record(
                user=request.user, municipality=municipality, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Thank you. The concern was passed to consultation."))
            return redirect("community:my_concerns")
    return render(
        request, "community/concern_form.html", {"form": form}, status=form_status(request)
    )


@community_required
def home(request: HttpRequest) -> HttpResponse:
    """The community worker's home: their concerns and what became of them, places due
    a record, the platform's latest session (no personal records beyond what they wrote)."""
    context = queries.community_home(request.user)
    _audit_concerns_shown(request, "community_home", context["concerns"])
    return render(request, "community/home.html", context)


def _audit_concerns_shown(request: HttpRequest, page: str, concerns: list[dict]) -> None:
    """The concerns a reporter's page listed (names as the reporter wrote them)."""
    if concerns:
        audit_write(
            user=request.user,
            municipality_id=active_membership(request.user).municipality_id,
            action=AuditEvent.Action.VIEW,
            detail={"page": page, "concerns": [c["pk"] for c in concerns]},
            request=request,
        )


@login_required
def my_concerns(request: HttpRequest) -> HttpResponse:
    if active_membership(request.user) is None:
        raise PermissionDenied
    concerns = queries.my_concerns(request.user)
    _audit_concerns_shown(request, "my_concerns", concerns)
    return render(request, "community/my_concerns.html", {"concerns": concerns})


@case_staff_required
def concern_queue(request: HttpRequest) -> HttpResponse:
    concerns = queries.concern_queue(request.user)
    if concerns:
        audit_write(
            user=request.user,
            municipality_id=concerns[0].municipality_id,
            action=AuditEvent.Action.VIEW,
            detail={"page": "concern_queue", "concerns": [c.pk for c in concerns]},
            request=request,
        )
    return render(request, "community/concern_queue.html", {"concerns": concerns})


@case_staff_required
def concern_detail(request: HttpRequest, concern_id: int) -> HttpResponse:
    concern = queries.concern_get_for_user(request.user, concern_id)
    audit_view(request, concern, case_id=concern.case_id, person_id=concern.person_id)
    return _concern_page(request, concern)


def _concern_page(
    request: HttpRequest,
    concern: Any,
    *,
    link_form: Any = None,
    person_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    """The concern with its three ways forward; a form that came back with errors keeps
    what was typed."""
    if person_form is None:
        person_form = PersonForm(
            prefix="person",
            initial={
                "name": concern.subject_name,
                "name_kana": concern.subject_kana,
                "address": concern.subject_area,
            },
        )
    duplicates = (
        person_duplicates(
            request.user, name=concern.subject_name, name_kana=concern.subject_kana, birth_date=None
        )
        if status == 200 and (concern.subject_name or concern.subject_kana)
        else []
    )
    return render(
        request,
        "community/concern_detail.html",
        {
            "concern": concern,
            "can_handle": services.concern_can_handle(concern),
            "link_form": link_form or ConcernLinkForm(),
            "close_form": ConcernCloseForm(),
            "person_form": person_form,
            "duplicates": duplicates,
            # What other programs offer to do with a concern (outreach: reach out instead).
            "other_ways": [
                {"label": a.label, "url": reverse(a.url_name, args=[concern.pk])}
                for a in record_actions("concern")
            ],
        },
        status=status,
    )


def _concern_post(request: HttpRequest, concern_id: int):
    concern = queries.concern_get_for_user(request.user, concern_id)
    if request.method != "POST":
        return concern, HttpResponseNotAllowed(["POST"])
    return concern, None


@case_staff_required
def concern_link(request: HttpRequest, concern_id: int) -> HttpResponse:
    concern, refusal = _concern_post(request, concern_id)
    if refusal:
        return refusal
    form = ConcernLinkForm(request.POST)
    if form.is_valid():
        try:
            case = case_from_reference(request.user, form.cleaned_data["case_number"])
            services.concern_link_case(user=request.user, concern=concern, case=case)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request, _("The concern was added to case %(number)s.") % {"number": case.number}
            )
            return redirect("cases:case_detail", case_id=case.pk)
    # The concern again, with what was typed and why it was not enough.
    return _concern_page(request, concern, link_form=form, status=400)


@case_staff_required
def concern_open_case(request: HttpRequest, concern_id: int) -> HttpResponse:
    concern, refusal = _concern_post(request, concern_id)
    if refusal:
        return refusal
    existing_id = request.POST.get("existing_person")
    person = None
    person_fields = None
    if existing_id:
        from cases.core import person_get_for_user

        try:
            person = person_get_for_user(request.user, int(existing_id))
        except ValueError:
            raise Http404 from None
    else:
        person_form = PersonForm(request.POST, prefix="person")
        if not person_form.is_valid():
            return _concern_page(request, concern, person_form=person_form, status=400)
        person_fields = {n: person_form.cleaned_data[n] for n in PersonForm.Meta.fields}
    try:
        case = services.concern_open_case(
            user=request.user, concern=concern, person=person, person_fields=person_fields
        )
    except CaseRuleError as exc:
        messages.error(request, exc.message)
        return redirect("community:concern_detail", concern_id=concern.pk)
    messages.success(request, _("Case %(number)s was opened.") % {"number": case.number})
    return redirect("cases:case_detail", case_id=case.pk)


@case_staff_required
def concern_close(request: HttpRequest, concern_id: int) -> HttpResponse:
    concern, refusal = _concern_post(request, concern_id)
    if refusal:
        return refusal
    form = ConcernCloseForm(request.POST)
    if form.is_valid():
        try:
            services.concern_close(user=request.user, concern=concern, **form.cleaned_data)
        except CaseRuleError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Closed."))
            return redirect("community:concern_queue")
    else:
        messages.error(request, _("Give the reason for closing without a case."))
    return redirect("community:concern_detail", concern_id=concern.pk)


# --- consultation → community ---------------------------------------------------------


@case_staff_required
def case_place_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_get_for_user(request.user, case_id)
    form = CasePlaceForm(
        request.POST or None,
        initial={"since": timezone.localdate()},
        municipality_id=case.municipality_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.case_place_link(user=request.user, case=case, **form.cleaned_data)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The case was linked to the place."))
            return redirect("cases:case_detail", case_id=case.pk)
    return render(
        request,
        "cases/form.html",
        {"form": form, "case": case, "title": _("Link to a place or activity")},
        status=form_status(request),
    )


@case_staff_required
def case_place_end(request: HttpRequest, link_id: int) -> HttpResponse:
    link = queries.case_place_get_for_user(request.user, link_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.case_place_end(user=request.user, link=link, ended_on=timezone.localdate())
    except CaseRuleError as exc:
        messages.error(request, exc.message)
    return redirect("cases:case_detail", case_id=link.case_id)
