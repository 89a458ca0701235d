"""Write operations of participation support. Each is a transaction, appends to the
case history when it concerns a person, and writes the audit event."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.collaboration import referral_create, require_participation_plan
from cases.core import case_event_append
from cases.models import Case, Referral
from cases.programs import CONSULTATION
from municipalities.audit import audit_change
from municipalities.models import AuditEvent, Municipality, User
from municipalities.scoping import require_role
from participation.models import (
    Accommodation,
    Assignment,
    FollowUp,
    Menu,
    ParticipationProfile,
    Provider,
    SessionLog,
    Weekday,
)
from participation.program import PROGRAM as PARTICIPATION
from participation.queries import MANAGING_ROLES
from portal.anonymise import blank_text
from portal.errors import CaseRuleError


def _clean_tags(tags: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if tag and tag not in seen:
            seen.append(tag[:30])
    return seen[:20]


def _check_choices(values: Sequence[str], allowed: Sequence[str], field: str) -> list[str]:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise CaseRuleError(_("Unknown value: %(values)s") % {"values": ", ".join(bad)}, field)
    return [v for v in allowed if v in values]  # canonical order, no repeats


def referral_can_match(referral: Referral) -> bool:
    """A menu can be proposed for the referral: it came to participation support and was
    accepted."""
    return referral.to_program == PARTICIPATION and referral.status == Referral.Status.ACCEPTED


def open_participation_referral(case: Case) -> Referral | None:
    """The accepted referral that opens the case to participation support."""
    return (
        Referral.objects.filter(
            case=case, to_program=PARTICIPATION, status=Referral.Status.ACCEPTED
        )
        .order_by("-created_at")
        .first()
    )


# --- providers and menus ------------------------------------------------------------


PROVIDER_FIELDS = (
    "name", "kind", "contact_person", "phone", "email", "address", "area", "host_support",
    "notes", "is_active",
)  # fmt: skip


@transaction.atomic
def provider_save(
    *,
    user: User,
    municipality: Municipality,
    provider: Provider | None = None,
    allow_roles: Sequence[str] = (),
    **fields: Any,
) -> Provider:
    # ``allow_roles`` widens it for a calling app (community building turns a platform's
    # new resource into a provider).
    require_role(user, *MANAGING_ROLES, *allow_roles)
    unknown = set(fields) - set(PROVIDER_FIELDS)
    if unknown:
        raise TypeError(sorted(unknown))
    name = fields.get("name", "").strip()
    clash = Provider.objects.filter(municipality=municipality, name=name)
    if provider is not None:
        clash = clash.exclude(pk=provider.pk)
    if clash.exists():
        raise CaseRuleError(_("A provider with this name already exists."), "name")
    created = provider is None
    provider = provider or Provider(municipality=municipality)
    for key, value in fields.items():
        setattr(provider, key, value.strip() if isinstance(value, str) else value)
    provider.full_clean()
    provider.save()
    audit_change(user, AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE, provider)
    return provider


MENU_FIELDS = (
    "provider", "name", "description", "kind", "area", "location", "days", "schedule",
    "capacity", "interests", "accommodations", "eligibility", "cost", "contact", "status",
    "is_open",
)  # fmt: skip


def _clean_menu_lists(fields: dict[str, Any]) -> None:
    """Days and accommodations from their lists; interests as distinct tags."""
    if "days" in fields:
        fields["days"] = _check_choices(fields["days"], Weekday.values, "days")
    if "accommodations" in fields:
        fields["accommodations"] = _check_choices(
            fields["accommodations"], Accommodation.values, "accommodations"
        )
    if "interests" in fields:
        fields["interests"] = _clean_tags(fields["interests"])


def _check_made_for(municipality: Municipality, made_for: Case | None) -> None:
    """A made-to-order menu is for a case of the municipality referred here and accepted."""
    if made_for is None:
        return
    if made_for.municipality_id != municipality.pk:
        raise CaseRuleError(_("The record belongs to another municipality."))
    if open_participation_referral(made_for) is None:
        raise CaseRuleError(
            _("A made-to-order menu needs an accepted referral to participation support.")
        )


def _check_capacity(menu: Menu, capacity: int) -> None:
    """The capacity never goes below the places taken now."""
    in_use = menu.assignments.filter(status__in=Assignment.HOLDS_A_PLACE).count()
    if capacity < in_use:
        raise CaseRuleError(
            _("%(n)d people take part now: the capacity cannot be lower.") % {"n": in_use},
            "capacity",
        )


@transaction.atomic
def menu_save(
    *,
    user: User,
    municipality: Municipality,
    menu: Menu | None = None,
    made_for: Case | None = None,
    allow_roles: Sequence[str] = (),
    **fields: Any,
) -> Menu:
    """Create or change a menu. ``made_for``: a made-to-order menu for one person, whose
    case must have been referred to participation support and accepted."""
    # ``allow_roles`` widens it for a calling app (community building turns a platform's
    # new resource into a provider).
    require_role(user, *MANAGING_ROLES, *allow_roles)
    unknown = set(fields) - set(MENU_FIELDS)
    if unknown:
        raise TypeError(sorted(unknown))
    provider = fields.get("provider") or (menu.provider if menu else None)
    if provider is None or provider.municipality_id != municipality.pk:
        raise CaseRuleError(_("Choose a provider of this municipality."), "provider")
    _clean_menu_lists(fields)
    created = menu is None
    if menu is None:
        _check_made_for(municipality, made_for)
        if made_for is not None:
            fields.setdefault("is_open", False)
        menu = Menu(municipality=municipality, created_by=user, made_for=made_for)
    elif "capacity" in fields:
        _check_capacity(menu, fields["capacity"])
    for key, value in fields.items():
        setattr(menu, key, value)
    menu.full_clean(exclude=["created_by", "made_for", "provider"])
    menu.save()
    if created and made_for is not None:
        case_event_append(made_for, user, "menu_made_to_order", menu=menu.pk, name=menu.name)
    audit_change(
        user,
        AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        menu,
        case=menu.made_for,
    )
    return menu


# --- matching profile ---------------------------------------------------------------


@transaction.atomic
def profile_save(
    *,
    user: User,
    case: Case,
    interests: Sequence[str],
    area: str,
    days: Sequence[str],
    needs: Sequence[str],
    notes: str = "",
) -> ParticipationProfile:
    require_role(user, *MANAGING_ROLES)
    if open_participation_referral(case) is None:
        raise CaseRuleError(_("Accept the referral first."))
    profile, _created = ParticipationProfile.objects.update_or_create(
        case=case,
        defaults={
            "municipality_id": case.municipality_id,
            "interests": _clean_tags(interests),
            "area": area.strip(),
            "days": _check_choices(days, Weekday.values, "days"),
            "needs": _check_choices(needs, Accommodation.values, "needs"),
            "notes": notes.strip(),
        },
    )
    case_event_append(case, user, "participation_profile_saved")
    audit_change(user, AuditEvent.Action.UPDATE, profile, case=case)
    return profile


# --- assignments --------------------------------------------------------------------

A = Assignment.Status
TRANSITIONS: dict[str, tuple[str, ...]] = {
    A.PROPOSED: (A.TRIAL, A.ACTIVE, A.ENDED),
    A.TRIAL: (A.ACTIVE, A.PAUSED, A.ENDED),
    A.ACTIVE: (A.PAUSED, A.ENDED),
    A.PAUSED: (A.ACTIVE, A.ENDED),
    A.ENDED: (),
}


def assignment_can_log_session(assignment: Assignment) -> bool:
    """Sessions are logged for people on a trial, participating or pausing."""
    return assignment.status in (A.TRIAL, A.ACTIVE, A.PAUSED)


def assignment_can_schedule_follow_up(assignment: Assignment) -> bool:
    """Follow-up after settling in is for people who have started participating."""
    return assignment.status in (A.ACTIVE, A.PAUSED, A.ENDED)


def _fresh(assignment: Assignment) -> Assignment:
    """The assignment as stored now (a caller's copy may predate a status change)."""
    return Assignment.objects.select_related("case", "menu").get(pk=assignment.pk)


def places_in_use(menu: Menu) -> int:
    return menu.assignments.filter(status__in=Assignment.HOLDS_A_PLACE).count()


def _take_place(menu: Menu) -> None:
    """Lock the menu row, then count: two coordinators taking the last place at once
    are serialised and the second one is refused."""
    locked = Menu.objects.select_for_update().get(pk=menu.pk)
    if locked.status != Menu.Status.ACTIVE:
        raise CaseRuleError(_("This menu is not accepting participants."))
    if places_in_use(locked) >= locked.capacity:
        raise CaseRuleError(
            _("No free place left in “%(menu)s” (capacity %(n)d).")
            % {"menu": locked.name, "n": locked.capacity}
        )


@transaction.atomic
def assignment_propose(*, user: User, referral: Referral, menu: Menu) -> Assignment:
    require_role(user, *MANAGING_ROLES)
    referral = Referral.objects.select_related("case").get(pk=referral.pk)
    if not referral_can_match(referral):
        raise CaseRuleError(_("Accept the referral first."))
    if menu.municipality_id != referral.municipality_id:
        raise CaseRuleError(_("The record belongs to another municipality."))
    if menu.made_for_id and menu.made_for_id != referral.case_id and not menu.is_open:
        raise CaseRuleError(_("This menu was made for someone else."))
    if menu.status != Menu.Status.ACTIVE:
        raise CaseRuleError(_("This menu is not accepting participants."))
    if Assignment.objects.filter(case=referral.case, menu=menu).exclude(status=A.ENDED).exists():
        raise CaseRuleError(_("This person is already matched to this menu."))
    # 参加支援 is a 事業 the person applies for through the plan: an assignment stems from
    # the case's decided plan that applies for it.
    plan = require_participation_plan(referral.case)
    assignment = Assignment.objects.create(
        municipality_id=referral.municipality_id,
        case=referral.case,
        menu=menu,
        referral=referral,
        plan=plan,
        coordinator=user,
    )
    case_event_append(
        referral.case,
        user,
        "assignment_proposed",
        assignment=assignment.pk,
        menu=menu.name,
        plan=plan.pk,
    )
    audit_change(user, AuditEvent.Action.CREATE, assignment, case=referral.case)
    return assignment


@transaction.atomic
def assignment_change_status(
    *,
    user: User,
    assignment: Assignment,
    to_status: str,
    on: datetime.date | None = None,
    reason: str = "",
) -> Assignment:
    require_role(user, *MANAGING_ROLES)
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if to_status not in TRANSITIONS.get(assignment.status, ()):
        raise CaseRuleError(
            _("An assignment cannot go from “%(from)s” to “%(to)s”.")
            % {
                "from": assignment.get_status_display(),
                "to": A(to_status).label if to_status in A.values else to_status,
            },
            "to_status",
        )
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise CaseRuleError(_("The date cannot be in the future."), "on")
    if assignment.start_on and on < assignment.start_on:
        raise CaseRuleError(_("The date is before the start of participation."), "on")
    if to_status == A.ENDED and not reason.strip():
        raise CaseRuleError(_("Give the reason for ending."), "reason")
    if to_status in Assignment.HOLDS_A_PLACE and assignment.status not in Assignment.HOLDS_A_PLACE:
        _take_place(assignment.menu)
    previous = assignment.status
    assignment.status = to_status
    if to_status in Assignment.HOLDS_A_PLACE and assignment.start_on is None:
        assignment.start_on = on
    if to_status == A.ENDED:
        assignment.end_on = on
        assignment.end_reason = reason.strip()
    assignment.save()
    case_event_append(
        assignment.case,
        user,
        "assignment_status",
        assignment=assignment.pk,
        before=previous,
        after=to_status,
    )
    audit_change(user, AuditEvent.Action.UPDATE, assignment, case=assignment.case)
    return assignment


# --- sessions and follow-up ---------------------------------------------------------


@transaction.atomic
def session_log(
    *,
    user: User,
    assignment: Assignment,
    held_on: datetime.date,
    attendance: str,
    observation: str = "",
    concerns: Sequence[str] = (),
    concern_note: str = "",
) -> SessionLog:
    """Log a session. A concern becomes a referral back to consultation support
    (participation → consultation), which the caseworker sees on the dashboard."""
    require_role(user, *MANAGING_ROLES)
    assignment = _fresh(assignment)
    if not assignment_can_log_session(assignment):
        raise CaseRuleError(_("Sessions are logged for people on a trial or participating."))
    if held_on > timezone.localdate():
        raise CaseRuleError(_("A session cannot be logged before it happens."), "held_on")
    if assignment.start_on and held_on < assignment.start_on:
        raise CaseRuleError(_("The session is before the start of participation."), "held_on")
    if attendance not in SessionLog.Attendance.values:
        raise CaseRuleError(_("Choose the attendance."), "attendance")
    concerns = _check_choices(concerns, SessionLog.Concern.values, "concerns")
    if concern_note.strip() and not concerns:
        concerns = [SessionLog.Concern.OTHER]
    log = SessionLog.objects.create(
        municipality_id=assignment.municipality_id,
        assignment=assignment,
        held_on=held_on,
        attendance=attendance,
        observation=observation.strip(),
        concerns=concerns,
        concern_note=concern_note.strip(),
        recorded_by=user,
    )
    if concerns:
        labels = "、".join(str(SessionLog.Concern(c).label) for c in concerns)
        reason = _("Concern from participation (%(menu)s, %(day)s): %(labels)s. %(note)s") % {
            "menu": assignment.menu.name,
            "day": held_on.isoformat(),
            "labels": labels,
            "note": concern_note.strip(),
        }
        log.referral = _concern_referral(user, assignment.case, reason)
        log.save(update_fields=["referral"])
    case_event_append(
        assignment.case,
        user,
        "session_logged",
        log=log.pk,
        attendance=attendance,
        concerns=concerns,
    )
    audit_change(user, AuditEvent.Action.CREATE, log, case=assignment.case)
    return log


def _concern_referral(user: User, case: Case, reason: str) -> Referral:
    """One open referral back to consultation per case: later concerns are added to it."""
    open_referral = (
        Referral.objects.select_for_update()
        .filter(
            case=case,
            from_program=PARTICIPATION,
            to_program=CONSULTATION,
            status=Referral.Status.PROPOSED,
        )
        .first()
    )
    if open_referral is not None:
        open_referral.reason = f"{open_referral.reason}\n{reason}"
        open_referral.save(update_fields=["reason"])
        return open_referral
    return referral_create(
        user=user,
        case=case,
        from_program=PARTICIPATION,
        to_program=CONSULTATION,
        reason=reason,
        acknowledge_within_days=2,
    )


@transaction.atomic
def follow_up_schedule(*, user: User, assignment: Assignment, due_on: datetime.date) -> FollowUp:
    require_role(user, *MANAGING_ROLES)
    assignment = _fresh(assignment)
    if not assignment_can_schedule_follow_up(assignment):
        raise CaseRuleError(_("Follow-up is for people who have started participating."))
    if due_on < timezone.localdate():
        raise CaseRuleError(_("The follow-up date is in the past."), "due_on")
    follow_up = FollowUp.objects.create(
        municipality_id=assignment.municipality_id, assignment=assignment, due_on=due_on
    )
    audit_change(user, AuditEvent.Action.CREATE, follow_up, case=assignment.case)
    return follow_up


@transaction.atomic
def follow_up_record(
    *,
    user: User,
    follow_up: FollowUp,
    done_on: datetime.date,
    host_feedback: str = "",
    note: str = "",
) -> FollowUp:
    require_role(user, *MANAGING_ROLES)
    if follow_up.done_on is not None:
        raise CaseRuleError(_("This follow-up has already been recorded."))
    if done_on > timezone.localdate():
        raise CaseRuleError(_("The follow-up cannot be recorded before it happens."), "done_on")
    follow_up.done_on = done_on
    follow_up.host_feedback = host_feedback.strip()
    follow_up.note = note.strip()
    follow_up.save()
    case_event_append(follow_up.assignment.case, user, "follow_up_done", follow_up=follow_up.pk)
    audit_change(user, AuditEvent.Action.UPDATE, follow_up, case=follow_up.assignment.case)
    return follow_up


def anonymise_for_retention(
    *, municipality_id: int, case_ids: list[int], person_ids: list[int], marker: str
) -> dict[str, int]:
    """Blank the participation notes about persons being anonymised (registered with
    ``cases.registry``; called inside the anonymisation's transaction)."""
    logs = SessionLog.objects.filter(
        municipality_id=municipality_id, assignment__case_id__in=case_ids
    )
    follow_ups = FollowUp.objects.filter(
        municipality_id=municipality_id, assignment__case_id__in=case_ids
    )
    return {
        "participation_profile": blank_text(
            ParticipationProfile.objects.filter(case_id__in=case_ids), ["notes"], marker
        ),
        "assignment": blank_text(
            Assignment.objects.filter(case_id__in=case_ids), ["end_reason"], marker
        ),
        "session_log": blank_text(logs, ["observation", "concern_note"], marker),
        "follow_up": blank_text(follow_ups, ["host_feedback", "note"], marker),
    }
