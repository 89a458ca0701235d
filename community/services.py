"""Write operations of community building. A concern taken up by consultation opens or
joins a case through ``cases.core.services``; a platform outcome becomes a participation
provider (and menu) through ``participation.services``."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.consultation import services as consultation_services
from cases.core import CASE_ROLES, case_event_append
from cases.engine import resolve_subject
from cases.models import Case, ConsultationMethod, ContactRoute, Person
from community.models import (
    ActivityRecord,
    CasePlace,
    Concern,
    Outcome,
    Place,
    PlatformSession,
    Sector,
    SessionOrganisation,
    TargetGroup,
)
from community.queries import COMMUNITY_ROLES
from municipalities.audit import audit_change
from municipalities.models import AuditEvent, Municipality, Role, User
from municipalities.scoping import require_role
from participation import services as participation_services
from participation.models import Menu, Provider
from portal.anonymise import blank_text
from portal.errors import CaseRuleError


def _not_future(day: datetime.date, field: str) -> None:
    if day > timezone.localdate():
        raise CaseRuleError(_("The date cannot be in the future."), field)


# --- places and activities ----------------------------------------------------------


PLACE_FIELDS = (
    "name", "kind", "organiser", "organiser_kind", "area", "address", "schedule",
    "target_groups", "accessibility", "contact", "status",
)  # fmt: skip
CONCERN_FIELDS = (
    "reporter_kind", "reporter_name", "reporter_contact", "subject_name", "subject_kana",
    "subject_area", "how_to_reach", "observation", "urgency",
)  # fmt: skip


def _only(fields: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(sorted(unknown))


@transaction.atomic
def place_save(
    *, user: User, municipality: Municipality, place: Place | None = None, **fields: Any
) -> Place:
    require_role(user, *COMMUNITY_ROLES)
    _only(fields, PLACE_FIELDS)
    created = place is None
    place = place or Place(municipality=municipality)
    if "target_groups" in fields:
        bad = [t for t in fields["target_groups"] if t not in TargetGroup.values]
        if bad:
            raise CaseRuleError(
                _("Unknown value: %(values)s") % {"values": ", ".join(bad)}, "target_groups"
            )
    for key, value in fields.items():
        setattr(place, key, value.strip() if isinstance(value, str) else value)
    place.full_clean()
    place.save()
    audit_change(user, AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE, place)
    return place


@transaction.atomic
def activity_record(
    *,
    user: User,
    place: Place,
    held_on: datetime.date,
    participants: int,
    volunteers: int = 0,
    note: str = "",
) -> ActivityRecord:
    require_role(user, *COMMUNITY_ROLES)
    _not_future(held_on, "held_on")
    if participants < 0 or volunteers < 0:
        raise CaseRuleError(_("Counts cannot be negative."), "participants")
    if ActivityRecord.objects.filter(place=place, held_on=held_on).exists():
        raise CaseRuleError(_("This day is already recorded for this place."), "held_on")
    record = ActivityRecord.objects.create(
        municipality_id=place.municipality_id,
        place=place,
        held_on=held_on,
        participants=participants,
        volunteers=volunteers,
        note=note.strip(),
        recorded_by=user,
    )
    audit_change(user, AuditEvent.Action.CREATE, record)
    return record


# --- platform -----------------------------------------------------------------------


@transaction.atomic
def platform_session_record(
    *,
    user: User,
    municipality: Municipality,
    held_on: datetime.date,
    theme: str,
    attendance: dict[str, int],
    notes: str = "",
    outcomes: Sequence[tuple[str, str, str]] = (),
    organisations: Sequence[str] = (),
) -> PlatformSession:
    """``outcomes``: (kind, description, organisation) triples; ``organisations``: the
    names of the organisations that took part (参加機関; repeats are kept once)."""
    require_role(user, *COMMUNITY_ROLES)
    _not_future(held_on, "held_on")
    if not theme.strip():
        raise CaseRuleError(_("Give the theme of the session."), "theme")
    clean_attendance = {}
    for sector, count in attendance.items():
        if sector not in Sector.values:
            raise CaseRuleError(_("Unknown value: %(values)s") % {"values": sector}, "attendance")
        if count < 0:
            raise CaseRuleError(_("Counts cannot be negative."), "attendance")
        if count:
            clean_attendance[sector] = int(count)
    session = PlatformSession.objects.create(
        municipality=municipality,
        held_on=held_on,
        theme=theme.strip(),
        attendance=clean_attendance,
        notes=notes.strip(),
        recorded_by=user,
    )
    names = dict.fromkeys(" ".join(n.split()) for n in organisations if n.strip())
    if any(len(name) > 100 for name in names):
        raise CaseRuleError(_("An organisation's name is at most 100 characters."), "organisations")
    SessionOrganisation.objects.bulk_create(
        SessionOrganisation(municipality=municipality, session=session, name=name) for name in names
    )
    for kind, description, organisation in outcomes:
        if not description.strip():
            continue
        if kind not in Outcome.Kind.values:
            raise CaseRuleError(_("Unknown value: %(values)s") % {"values": kind}, "outcomes")
        Outcome.objects.create(
            municipality=municipality,
            session=session,
            kind=kind,
            description=description.strip(),
            organisation=organisation.strip(),
        )
    audit_change(user, AuditEvent.Action.CREATE, session)
    return session


@transaction.atomic
def outcome_to_provider(
    *,
    user: User,
    outcome: Outcome,
    provider_fields: dict[str, Any],
    menu_fields: dict[str, Any] | None = None,
) -> tuple[Provider, Menu | None]:
    """Turn a platform's new resource into a participation provider, and optionally a
    first menu, in one step (地域資源の開拓: community ↔ participation)."""
    require_role(user, *COMMUNITY_ROLES, Role.COORDINATOR)
    outcome = Outcome.objects.select_for_update().get(pk=outcome.pk)
    if outcome.kind != Outcome.Kind.NEW_RESOURCE:
        raise CaseRuleError(_("Only a new resource can become a provider."))
    if outcome.provider_id:
        raise CaseRuleError(_("This outcome has already become a provider."))
    municipality = outcome.session.municipality
    provider = participation_services.provider_save(
        user=user, municipality=municipality, allow_roles=COMMUNITY_ROLES, **provider_fields
    )
    menu = None
    if menu_fields:
        menu = participation_services.menu_save(
            user=user,
            municipality=municipality,
            provider=provider,
            allow_roles=COMMUNITY_ROLES,
            **menu_fields,
        )
    outcome.provider = provider
    outcome.menu = menu
    outcome.save(update_fields=["provider", "menu"])
    audit_change(
        user,
        AuditEvent.Action.UPDATE,
        outcome,
        provider=provider.pk,
        menu=menu.pk if menu else None,
    )
    return provider, menu


# --- concerns -----------------------------------------------------------------------


@transaction.atomic
def concern_record(*, user: User, municipality: Municipality, **fields: Any) -> Concern:
    """A community worker records what someone noticed. Anyone in community building
    may; so may caseworkers (a call may come to them first)."""
    require_role(user, *COMMUNITY_ROLES, *CASE_ROLES)
    _only(fields, CONCERN_FIELDS)
    concern = Concern(municipality=municipality, reported_by=user)
    for key, value in fields.items():
        setattr(concern, key, value.strip() if isinstance(value, str) else value)
    if not concern.observation:
        raise CaseRuleError(_("Write what was noticed."), "observation")
    concern.full_clean(exclude=["reported_by", "person", "case", "handled_by"])
    concern.save()
    audit_change(user, AuditEvent.Action.CREATE, concern)
    return concern


def _take_up(user: User, concern: Concern, case: Case) -> Concern:
    concern.status = Concern.Status.TAKEN_UP
    concern.case = case
    concern.person = case.person
    concern.handled_by = user
    concern.handled_at = timezone.now()
    concern.save()
    case_event_append(case, user, "concern_taken_up", concern=concern.pk)
    resolve_subject(concern.municipality_id, "concern", concern.pk, _("Taken up by consultation."))
    audit_change(user, AuditEvent.Action.UPDATE, concern, case_id=case.pk, person_id=case.person_id)
    return concern


def concern_can_handle(concern: Concern) -> bool:
    """The concern still waits for consultation: to open a case, join one, or close."""
    return concern.status == Concern.Status.RECEIVED


def _lock_received(concern: Concern) -> Concern:
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if not concern_can_handle(concern):
        raise CaseRuleError(_("This concern has already been handled."))
    return concern


@transaction.atomic
def concern_link_case(*, user: User, concern: Concern, case: Case) -> Concern:
    """The person is already known: attach the concern to their case."""
    require_role(user, *CASE_ROLES)
    concern = _lock_received(concern)
    if case.municipality_id != concern.municipality_id:
        raise CaseRuleError(_("The record belongs to another municipality."))
    if not case.is_open:
        raise CaseRuleError(_("The case is closed: reopen it first or open a new case."))
    # No consultation is logged: nobody has spoken to the person yet, and a consultation
    # would answer the caseworker's pending follow-ups. The concern shows on the case
    # timeline and in its history.
    return _take_up(user, concern, case)


@transaction.atomic
def concern_open_case(
    *,
    user: User,
    concern: Concern,
    person: Person | None = None,
    person_fields: dict[str, Any] | None = None,
    assigned_to: User | None = None,
) -> Case:
    """Open a case from the concern: the route is 地域住民の気づき and the first
    consultation records what was noticed."""
    require_role(user, *CASE_ROLES)
    concern = _lock_received(concern)
    if person_fields is None and person is None:
        person_fields = {
            "name": concern.subject_name or _("(name unknown)"),
            "name_kana": concern.subject_kana,
            "address": concern.subject_area,
        }
    route_code = "minsei" if concern.reporter_kind == Concern.Reporter.MINSEI else "resident"
    _person, case, _first = consultation_services.intake_record(
        user=user,
        municipality=concern.municipality,
        person=person,
        person_fields=person_fields,
        route=ContactRoute.objects.get(municipality__isnull=True, code=route_code),
        categories=[],
        primary_category=None,
        consultation=consultation_services.ConsultationData(
            occurred_at=timezone.now(),
            method=ConsultationMethod.objects.get(municipality__isnull=True, code="other"),
            summary=_("Concern from the community (%(who)s): %(text)s")
            % {"who": concern.get_reporter_kind_display(), "text": concern.observation},
            visitor_name=concern.reporter_name,
            visitor_relationship=str(concern.get_reporter_kind_display()),
            visitor_phone=concern.reporter_contact,
        ),
        assigned_to=assigned_to or user,
    )
    _take_up(user, concern, case)
    return case


@transaction.atomic
def concern_close(*, user: User, concern: Concern, note: str) -> Concern:
    require_role(user, *CASE_ROLES)
    concern = _lock_received(concern)
    if not note.strip():
        raise CaseRuleError(_("Give the reason for closing without a case."), "note")
    resolve_subject(concern.municipality_id, "concern", concern.pk, _("Closed without a case."))
    concern.status = Concern.Status.NO_ACTION
    concern.closing_note = note.strip()
    concern.handled_by = user
    concern.handled_at = timezone.now()
    concern.save()
    audit_change(user, AuditEvent.Action.UPDATE, concern)
    return concern


# --- consultation → community -----------------------------------------------------------


@transaction.atomic
def case_place_link(
    *, user: User, case: Case, place: Place, since: datetime.date, note: str = ""
) -> CasePlace:
    require_role(user, *CASE_ROLES)
    if place.municipality_id != case.municipality_id:
        raise CaseRuleError(_("The record belongs to another municipality."), "place")
    if not case.is_open:
        raise CaseRuleError(_("The case is closed: reopen it first or open a new case."))
    _not_future(since, "since")
    if since < case.opened_on:
        raise CaseRuleError(_("The date is before the case was opened."), "since")
    if CasePlace.objects.filter(case=case, place=place, ended_on__isnull=True).exists():
        raise CaseRuleError(_("The case is already linked to this place."), "place")
    link = CasePlace.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        place=place,
        since=since,
        note=note.strip(),
        linked_by=user,
    )
    case_event_append(case, user, "place_linked", place=place.pk, name=place.name)
    audit_change(user, AuditEvent.Action.CREATE, link, case_id=case.pk, person_id=case.person_id)
    return link


@transaction.atomic
def case_place_end(*, user: User, link: CasePlace, ended_on: datetime.date) -> CasePlace:
    require_role(user, *CASE_ROLES)
    if link.ended_on:
        raise CaseRuleError(_("This link has already ended."))
    if ended_on < link.since:
        raise CaseRuleError(_("The end is before the start."), "ended_on")
    link.ended_on = ended_on
    link.save(update_fields=["ended_on"])
    case_event_append(link.case, user, "place_unlinked", place=link.place_id)
    audit_change(user, AuditEvent.Action.UPDATE, link, case_id=link.case_id)
    return link


def anonymise_for_retention(
    *, municipality_id: int, case_ids: list[int], person_ids: list[int], marker: str
) -> dict[str, int]:
    """Blank residents' concerns and place notes about persons being anonymised
    (registered with ``cases.registry``; called inside the anonymisation's transaction).
    The reporter's name and contact go too: they identify the person's neighbours."""
    concerns = Concern.objects.filter(municipality_id=municipality_id).filter(
        Q(case_id__in=case_ids) | Q(person_id__in=person_ids)
    )
    return {
        "concern": blank_text(
            concerns,
            ["subject_name", "subject_area", "observation", "closing_note", "reporter_name"],
            marker,
        ),
        # Readings and contact details go entirely (a marker is no phone number).
        "concern_contact": concerns.exclude(
            subject_kana="", how_to_reach="", reporter_contact=""
        ).update(subject_kana="", how_to_reach="", reporter_contact=""),
        "case_place": blank_text(CasePlace.objects.filter(case_id__in=case_ids), ["note"], marker),
    }
