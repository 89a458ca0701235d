"""Coordinator pages: catalogue, providers, menus, the participation inbox, matching
and assignments with their session logs. Thin: forms validate, services write,
``participation.queries`` reads within the user's municipality."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.collaboration import referral_can_answer, referral_get_for_user
from municipalities.audit import audit_list, audit_view
from municipalities.decorators import role_required, staff_required
from municipalities.scoping import active_membership
from participation import queries, services
from participation.forms import (
    AssignmentStatusForm,
    CatalogueFilterForm,
    FollowUpDoneForm,
    FollowUpForm,
    MenuForm,
    ProfileForm,
    ProviderForm,
    SessionLogForm,
)
from portal.errors import CaseRuleError
from portal.forms import add_rule_error, form_status

# The first gate of the coordinator pages; the services check the same roles.
coordinator_required = role_required(*queries.MANAGING_ROLES)


# --- catalogue, providers, menus ----------------------------------------------------


@staff_required
def catalogue(request: HttpRequest) -> HttpResponse:
    areas = queries.catalogue_areas(request.user)
    form = CatalogueFilterForm(request.GET or None, areas=areas)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    menus = queries.catalogue(request.user, **{k: v for k, v in filters.items() if v})
    return render(
        request,
        "participation/catalogue.html",
        {"form": form, "menus": menus, "can_manage": queries.can_manage(request.user)},
    )


@staff_required
def menu_detail(request: HttpRequest, menu_id: int) -> HttpResponse:
    menu = queries.menu_get_for_user(request.user, menu_id)
    participants = queries.menu_participants(request.user, menu)
    if participants:
        audit_view(request, menu, detail={"participants": [a.case_id for a in participants]})
    return render(
        request,
        "participation/menu_detail.html",
        {
            "menu": menu,
            "participants": participants,
            "free": menu.capacity - menu.in_use,
            "can_manage": queries.can_manage(request.user),
        },
    )


@coordinator_required
def menu_edit(request: HttpRequest, menu_id: int | None = None) -> HttpResponse:
    """New menu, new made-to-order menu (?referral=<id>), or edit."""
    municipality = active_membership(request.user).municipality
    menu = queries.menu_get_for_user(request.user, menu_id) if menu_id else None
    made_for = None
    referral_id = request.GET.get("referral") or request.POST.get("referral")
    if menu is None and referral_id:
        try:
            referral = referral_get_for_user(request.user, int(referral_id))
        except ValueError:
            raise Http404 from None
        made_for = referral.case
    initial = {"is_open": made_for is None}
    form = MenuForm(
        request.POST or None, instance=menu, initial=initial, municipality_id=municipality.pk
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in MenuForm.Meta.fields}
        if menu is not None:
            menu.refresh_from_db()
        try:
            saved = services.menu_save(
                user=request.user, municipality=municipality, menu=menu, made_for=made_for, **fields
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The menu was saved."))
            if made_for is not None:
                return redirect("participation:matching", referral_id=int(referral_id))
            return redirect("participation:menu_detail", menu_id=saved.pk)
    title = _("Edit menu") if menu else (_("Made-to-order menu") if made_for else _("New menu"))
    return render(
        request,
        "participation/form.html",
        {"form": form, "title": title, "made_for": made_for, "referral_id": referral_id},
        status=form_status(request),
    )


@staff_required
def provider_list(request: HttpRequest) -> HttpResponse:
    providers = list(queries.providers_visible_to(request.user).order_by("name"))
    return render(
        request,
        "participation/provider_list.html",
        {"providers": providers, "can_manage": queries.can_manage(request.user)},
    )


@coordinator_required
def provider_edit(request: HttpRequest, provider_id: int | None = None) -> HttpResponse:
    municipality = active_membership(request.user).municipality
    provider = queries.provider_get_for_user(request.user, provider_id) if provider_id else None
    form = ProviderForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        if provider is not None:
            provider.refresh_from_db()
        try:
            services.provider_save(
                user=request.user, municipality=municipality, provider=provider, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The provider was saved."))
            return redirect("participation:provider_list")
    title = _("Edit provider") if provider else _("New provider")
    return render(
        request,
        "participation/form.html",
        {"form": form, "title": title},
        status=form_status(request),
    )


# --- inbox and matching -------------------------------------------------------------


@coordinator_required
def home(request: HttpRequest) -> HttpResponse:
    """The coordinator's home: what waits for them today."""
    context = queries.coordinator_home(request.user)
    audit_list(
        request,
        "participation_home",
        [
            *(r.case_id for r in context["inbox"]),
            *(a.case_id for a in context["logs_due"]),
            *(f.assignment.case_id for f in context["follow_ups_due"]),
        ],
    )
    return render(request, "participation/home.html", context)


@coordinator_required
def inbox(request: HttpRequest) -> HttpResponse:
    referrals = queries.participation_inbox(request.user)
    audit_list(request, "participation_inbox", [r.case_id for r in referrals])
    rows = [(r, services.referral_can_match(r), referral_can_answer(r)) for r in referrals]
    return render(request, "participation/inbox.html", {"rows": rows})


@coordinator_required
def matching(request: HttpRequest, referral_id: int) -> HttpResponse:
    context = queries.matching_page(request.user, referral_id)
    referral = context["referral"]
    profile = context["profile"]
    initial = (
        {
            "interests": profile.interests,
            "area": profile.area,
            "days": profile.days,
            "needs": profile.needs,
            "notes": profile.notes,
        }
        if profile
        else {}
    )
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.profile_save(user=request.user, case=referral.case, **form.cleaned_data)
            except CaseRuleError as exc:
                add_rule_error(form, exc)
            else:
                messages.success(request, _("Saved. The suggestions were updated."))
                return redirect("participation:matching", referral_id=referral.pk)
    else:
        audit_view(
            request,
            referral,
            case_id=referral.case_id,
            person_id=referral.case.person_id,
            detail={"page": "matching"},
        )
    context.update(form=form, person=referral.case.person)
    return render(request, "participation/matching.html", context, status=form_status(request))


@coordinator_required
def assignment_propose(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = referral_get_for_user(request.user, referral_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        menu = queries.menu_get_for_user(request.user, int(request.POST.get("menu", "")))
    except ValueError:
        raise Http404 from None
    try:
        assignment = services.assignment_propose(user=request.user, referral=referral, menu=menu)
    except CaseRuleError as exc:
        messages.error(request, exc.message)
        return redirect("participation:matching", referral_id=referral.pk)
    messages.success(request, _("Proposed “%(menu)s”.") % {"menu": menu.name})
    return redirect("participation:assignment_detail", assignment_id=assignment.pk)


# --- assignments --------------------------------------------------------------------


def _assignment_context(request: HttpRequest, assignment_id: int, **forms: Any) -> dict:
    context = queries.assignment_page(request.user, assignment_id)
    a = context["assignment"]
    can_manage = queries.can_manage(request.user)
    context.update(
        can_manage=can_manage,
        can_log_session=can_manage and services.assignment_can_log_session(a),
        can_schedule_follow_up=can_manage and services.assignment_can_schedule_follow_up(a),
        status_form=forms.get("status_form")
        or AssignmentStatusForm(
            allowed=services.TRANSITIONS[a.status], initial={"on": timezone.localdate()}
        ),
        log_form=forms.get("log_form") or SessionLogForm(initial={"held_on": timezone.localdate()}),
        follow_up_form=forms.get("follow_up_form") or FollowUpForm(),
        done_form=FollowUpDoneForm(initial={"done_on": timezone.localdate()}),
        person=a.case.person,
    )
    return context


@login_required
def assignment_detail(request: HttpRequest, assignment_id: int) -> HttpResponse:
    context = _assignment_context(request, assignment_id)
    a = context["assignment"]
    audit_view(request, a, case_id=a.case_id, person_id=a.case.person_id)
    return render(request, "participation/assignment_detail.html", context)


def _assignment_post(
    request: HttpRequest,
    assignment_id: int,
    form_class: Any,
    key: str,
    action: Callable[[Any, Any], Any],
    **form_kwargs: Any,
) -> HttpResponse:
    """Shared POST handling of the forms on the assignment page."""
    assignment = queries.assignment_get_for_user(request.user, assignment_id)
    if not queries.can_manage(request.user):
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = form_class(request.POST, **{k: v(assignment) for k, v in form_kwargs.items()})
    if form.is_valid():
        try:
            action(assignment, form.cleaned_data)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("participation:assignment_detail", assignment_id=assignment.pk)
    context = _assignment_context(request, assignment_id, **{key: form})
    return render(request, "participation/assignment_detail.html", context, status=400)


@login_required
def assignment_status(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _assignment_post(
        request,
        assignment_id,
        AssignmentStatusForm,
        "status_form",
        lambda a, d: services.assignment_change_status(user=request.user, assignment=a, **d),
        allowed=lambda a: services.TRANSITIONS[a.status],
    )


@login_required
def session_log_add(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _assignment_post(
        request,
        assignment_id,
        SessionLogForm,
        "log_form",
        lambda a, d: services.session_log(user=request.user, assignment=a, **d),
    )


@login_required
def follow_up_add(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _assignment_post(
        request,
        assignment_id,
        FollowUpForm,
        "follow_up_form",
        lambda a, d: services.follow_up_schedule(user=request.user, assignment=a, **d),
    )


@login_required
def follow_up_done(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    follow_up = queries.follow_up_get_for_user(request.user, follow_up_id)
    if not queries.can_manage(request.user):
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = FollowUpDoneForm(request.POST)
    if form.is_valid():
        try:
            services.follow_up_record(user=request.user, follow_up=follow_up, **form.cleaned_data)
        except CaseRuleError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Check the date."))
    return redirect("participation:assignment_detail", assignment_id=follow_up.assignment_id)
