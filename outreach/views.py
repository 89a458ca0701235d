"""Outreach pages: the register, a target with its contacts (the contact form first, for
a phone at the door), stages, naming the person, the hand-over, and a community concern
taken up as a target. Thin: forms validate, services write, ``outreach.queries`` reads
within the user's municipality and need to know."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cases.core import PersonForm, cases_visible_to
from municipalities.audit import audit_view, audit_write
from municipalities.decorators import role_required
from municipalities.models import AuditEvent, Role
from municipalities.scoping import active_membership
from outreach import queries, services
from outreach.forms import (
    ContactForm,
    FromConcernForm,
    HandOverForm,
    RegisterFilterForm,
    StageForm,
    TargetForm,
)
from outreach.models import Stage
from portal.errors import CaseRuleError
from portal.forms import add_rule_error, form_status

outreach_required = role_required(*queries.OUTREACH_ROLES)
# Caseworkers read the targets of their 支援会議 and of their cases.
readers_required = role_required(*queries.OUTREACH_ROLES, Role.CASEWORKER)


def _audit_list(request: HttpRequest, page: str, targets: list[Any]) -> None:
    if targets:
        audit_write(
            user=request.user,
            municipality_id=targets[0].municipality_id,
            action=AuditEvent.Action.VIEW,
            detail={"page": page, "outreach_targets": [t.pk for t in targets]},
            request=request,
        )


def _register(request: HttpRequest, *, page: str, mine_default: bool) -> HttpResponse:
    data = request.GET if request.GET else {"mine": "on"} if mine_default else {}
    form = RegisterFilterForm(data)
    filters = form.cleaned_data if form.is_valid() else {}
    targets = list(
        queries.target_register(
            request.user,
            stage=filters.get("stage", ""),
            mine=filters.get("mine", False),
            overdue=filters.get("overdue", False),
        )[:200]
    )
    _audit_list(request, page, targets)
    return render(
        request,
        "outreach/register.html",
        {
            "form": form,
            "targets": targets,
            "is_home": page == "outreach_home",
            "can_write": queries.is_outreach_staff(request.user),
        },
    )


@readers_required
def home(request: HttpRequest) -> HttpResponse:
    """The outreach worker's home: their targets, the overdue first."""
    return _register(request, page="outreach_home", mine_default=True)


@readers_required
def target_list(request: HttpRequest) -> HttpResponse:
    return _register(request, page="outreach_register", mine_default=False)


@outreach_required
def target_add(request: HttpRequest) -> HttpResponse:
    municipality = active_membership(request.user).municipality
    form = TargetForm(
        request.POST or None,
        municipality_id=municipality.pk,
        workers=services.worker_choices(municipality.pk),
        initial={"worker": request.user.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            target = services.target_create(
                user=request.user, municipality=municipality, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The target was registered."))
            return redirect("outreach:target_detail", target_id=target.pk)
    return render(request, "outreach/target_form.html", {"form": form}, status=form_status(request))


def _target_page(
    request: HttpRequest, target_id: int, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = queries.target_page(request.user, target_id)
    target = context["target"]
    if status == 200:
        audit_view(
            request,
            target,
            person_id=target.person_id,
            case_id=target.case_id,
            detail={"contacts": [c.pk for c in context["contacts"]]},
        )
    can_write = queries.is_outreach_staff(request.user) and target.is_active
    context.update(
        {
            "can_write": can_write,
            "contact_form": forms.get("contact_form") or ContactForm(),
            "stage_form": forms.get("stage_form") or StageForm(current=target.stage),
            "person_form": forms.get("person_form") or PersonForm(prefix="person"),
            "can_hand_over": can_write and target.stage == Stage.CONSENT,
        }
    )
    return render(request, "outreach/target_detail.html", context, status=status)


@readers_required
def target_detail(request: HttpRequest, target_id: int) -> HttpResponse:
    return _target_page(request, target_id)


def _post_target(request: HttpRequest, target_id: int) -> tuple[Any, HttpResponse | None]:
    """The target for a write (404 when not visible), or the refusal of a GET."""
    target = queries.target_get_for_user(request.user, target_id)
    if request.method != "POST":
        return target, HttpResponseNotAllowed(["POST"])
    return target, None


def _write(
    request: HttpRequest,
    target_id: int,
    key: str,
    make_form: Callable[[Any], Any],
    act: Callable[[Any, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """A form posted from the target's page: its service in one transaction, back to
    the page with a message, or the page again (400) with the form's errors."""
    target, refusal = _post_target(request, target_id)
    if refusal:
        return refusal
    form = make_form(target)
    if form.is_valid():
        try:
            act(target, form.cleaned_data)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("outreach:target_detail", target_id=target.pk)
    return _target_page(request, target_id, status=400, **{key: form})


@outreach_required
def contact_add(request: HttpRequest, target_id: int) -> HttpResponse:
    return _write(
        request,
        target_id,
        "contact_form",
        lambda target: ContactForm(request.POST),
        lambda target, data: services.contact_log(user=request.user, target=target, **data),
        _("The contact was recorded."),
    )


@outreach_required
def stage_change(request: HttpRequest, target_id: int) -> HttpResponse:
    return _write(
        request,
        target_id,
        "stage_form",
        lambda target: StageForm(request.POST, current=target.stage),
        lambda target, data: services.stage_change(user=request.user, target=target, **data),
        _("The stage was changed."),
    )


@outreach_required
def name_person(request: HttpRequest, target_id: int) -> HttpResponse:
    return _write(
        request,
        target_id,
        "person_form",
        lambda target: PersonForm(request.POST, prefix="person"),
        lambda target, data: services.target_name_person(
            user=request.user, target=target, **{n: data[n] for n in PersonForm.Meta.fields}
        ),
        _("The person was recorded."),
    )


@outreach_required
def hand_over(request: HttpRequest, target_id: int) -> HttpResponse:
    target = queries.target_get_for_user(request.user, target_id)
    open_cases = (
        list(
            cases_visible_to(request.user).filter(
                person_id=target.person_id, closed_on__isnull=True
            )
        )
        if target.person_id
        else []
    )
    form = HandOverForm(
        request.POST or None, municipality_id=target.municipality_id, open_cases=open_cases
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = services.hand_over(user=request.user, target=target, **form.cleaned_data)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Handed over: case %(number)s.") % {"number": case.number})
            return redirect("outreach:target_detail", target_id=target.pk)
    audit_view(request, target, person_id=target.person_id, detail={"page": "hand_over"})
    return render(
        request,
        "outreach/hand_over.html",
        {"target": target, "form": form},
        status=form_status(request),
    )


@readers_required
def target_from_concern(request: HttpRequest, concern_id: int) -> HttpResponse:
    from community.queries import concern_get_for_user

    concern = concern_get_for_user(request.user, concern_id)
    form = FromConcernForm(
        request.POST or None, workers=services.worker_choices(concern.municipality_id)
    )
    if request.method == "POST" and form.is_valid():
        try:
            target = services.target_from_concern(
                user=request.user, concern=concern, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The concern was taken up by outreach."))
            if queries.targets_visible_to(request.user).filter(pk=target.pk).exists():
                return redirect("outreach:target_detail", target_id=target.pk)
            return redirect("community:concern_queue")
    audit_view(request, concern, person_id=concern.person_id, detail={"page": "to_outreach"})
    return render(
        request,
        "outreach/from_concern.html",
        {"concern": concern, "form": form},
        status=form_status(request),
    )
