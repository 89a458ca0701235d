"""Writes of 包括的相談支援: a consultation logged, amended or withdrawn, and the intake
that opens a case with its first consultation."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core.queries import CASE_ROLES
from cases.core.services import case_event_append, case_open, person_create
from cases.models import Case, Consultation, ConsultationMethod, ContactRoute, IssueCategory, Person
from municipalities.audit import audit_change
from municipalities.models import AuditEvent, Municipality, User
from municipalities.scoping import require_role
from portal.errors import CaseRuleError
from portal.records import as_json_value, claim_version


@dataclass
class ConsultationData:
    occurred_at: datetime.datetime
    method: ConsultationMethod
    summary: str
    follow_up_on: datetime.date | None = None
    visitor_name: str = ""
    visitor_relationship: str = ""
    visitor_phone: str = ""


def check_follow_up(occurred_at: datetime.datetime, follow_up_on: datetime.date | None) -> None:
    """The next follow-up is not set before the day of the consultation."""
    if follow_up_on is not None and follow_up_on < timezone.localtime(occurred_at).date():
        raise CaseRuleError(_("The follow-up must be after the consultation."), "follow_up_on")


def check_consultation_times(data: ConsultationData) -> None:
    """The consultation has happened, and its follow-up does not come before it."""
    if data.occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        raise CaseRuleError(_("A consultation cannot be in the future."), "occurred_at")
    check_follow_up(data.occurred_at, data.follow_up_on)


@transaction.atomic
def consultation_log(*, user: User, case: Case, data: ConsultationData) -> Consultation:
    require_role(user, *CASE_ROLES)
    if not data.summary.strip():
        raise CaseRuleError(_("Write what the consultation was about."), "summary")
    if data.method.municipality_id not in (None, case.municipality_id):
        raise CaseRuleError(_("The record belongs to another municipality."), "method")
    check_consultation_times(data)
    consultation = Consultation.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        staff=user,
        occurred_at=data.occurred_at,
        method=data.method,
        summary=data.summary.strip(),
        follow_up_on=data.follow_up_on,
        visitor_name=data.visitor_name,
        visitor_relationship=data.visitor_relationship,
        visitor_phone=data.visitor_phone,
    )
    # A new contact answers the follow-ups that were due before it.
    Consultation.objects.filter(
        case=case,
        follow_up_done_at__isnull=True,
        follow_up_on__isnull=False,
        occurred_at__lt=data.occurred_at,
    ).exclude(pk=consultation.pk).update(follow_up_done_at=timezone.now())
    case_event_append(
        case, user, "consultation_logged", consultation=consultation.pk, method=data.method.code
    )
    audit_change(
        user, AuditEvent.Action.CREATE, consultation, case_id=case.pk, person_id=case.person_id
    )
    return consultation


@transaction.atomic
def consultation_amend(
    *,
    user: User,
    consultation: Consultation,
    summary: str,
    follow_up_on: datetime.date | None,
    version: int | None = None,
) -> Consultation:
    """Amend a consultation note. ``version`` is the one the editor read: if the note was
    amended since, ``RecordChanged`` is raised and nothing is saved."""
    require_role(user, *CASE_ROLES)
    if consultation.deleted_at is not None:
        raise CaseRuleError(_("A withdrawn consultation cannot be changed."))
    if not summary.strip():
        raise CaseRuleError(_("Write what the consultation was about."), "summary")
    if follow_up_on != consultation.follow_up_on:
        check_follow_up(consultation.occurred_at, follow_up_on)
    claim_version(consultation, version)
    previous = {
        "summary": consultation.summary,
        "follow_up_on": as_json_value(consultation.follow_up_on),
    }
    consultation.summary = summary.strip()
    if follow_up_on != consultation.follow_up_on:
        consultation.follow_up_done_at = None
    consultation.follow_up_on = follow_up_on
    consultation.save()
    # The earlier text stays in the case history.
    case_event_append(
        consultation.case,
        user,
        "consultation_amended",
        consultation=consultation.pk,
        previous=previous,
    )
    audit_change(
        user,
        AuditEvent.Action.UPDATE,
        consultation,
        case_id=consultation.case_id,
        person_id=consultation.case.person_id,
    )
    return consultation


@transaction.atomic
def consultation_withdraw(*, user: User, consultation: Consultation, reason: str) -> Consultation:
    require_role(user, *CASE_ROLES)
    if not reason.strip():
        raise CaseRuleError(_("Give the reason for withdrawing the entry."), "reason")
    if consultation.deleted_at is not None:
        return consultation
    consultation.deleted_at = timezone.now()
    consultation.save(update_fields=["deleted_at", "updated_at"])
    case_event_append(
        consultation.case,
        user,
        "consultation_withdrawn",
        consultation=consultation.pk,
        reason=reason.strip(),
    )
    audit_change(
        user,
        AuditEvent.Action.DELETE,
        consultation,
        case_id=consultation.case_id,
        person_id=consultation.case.person_id,
    )
    return consultation


@transaction.atomic
def intake_record(
    *,
    user: User,
    municipality: Municipality,
    person: Person | None,
    person_fields: dict[str, Any] | None,
    route: ContactRoute,
    categories: Sequence[IssueCategory],
    primary_category: IssueCategory | None,
    consultation: ConsultationData,
    assigned_to: User | None = None,
    is_sensitive: bool = False,
) -> tuple[Person, Case, Consultation]:
    """Person (found or new) + case + first consultation, all or nothing."""
    require_role(user, *CASE_ROLES)
    # The case opens on the day of the consultation: check its times before anything.
    check_consultation_times(consultation)
    if person is None:
        person = person_create(user=user, municipality=municipality, **(person_fields or {}))
    elif person.municipality_id != municipality.pk:
        raise CaseRuleError(_("The record belongs to another municipality."), "person")
    case = case_open(
        user=user,
        person=person,
        route=route,
        categories=categories,
        primary_category=primary_category,
        opened_on=timezone.localtime(consultation.occurred_at).date(),
        assigned_to=assigned_to,
        is_sensitive=is_sensitive,
    )
    first = consultation_log(user=user, case=case, data=consultation)
    return person, case, first
