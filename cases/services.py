"""Write operations of consultation support. Each one is a transaction, checks the
rules of the program, appends to the case history and writes the audit event."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.evaluation import enqueue_case_evaluation
from cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    Consent,
    Consultation,
    ConsultationMethod,
    ContactRoute,
    Field,
    Household,
    HouseholdMember,
    IssueCategory,
    Meeting,
    MeetingAttendee,
    MeetingCase,
    Person,
    PlanAction,
    Program,
    Referral,
    Relationship,
    SupportAgency,
    SupportPlan,
)
from municipalities.audit import audit_write
from municipalities.models import AuditEvent, Municipality, Role, User
from municipalities.scoping import active_membership
from portal.fiscal import fiscal_year_of

REFERRAL_ACKNOWLEDGE_DAYS = 3


class CaseRuleError(Exception):
    """A rule of the program forbids the change. ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RecordChanged(Exception):
    """Optimistic locking: the record was saved by someone else after the caller read it
    (its ``version`` moved on). Nothing was saved; ``current`` is the record as stored."""

    def __init__(self, current: models.Model) -> None:
        self.message = _(
            "This record has been updated by another member of staff since you opened it. "
            "Your changes were not saved. The current content is shown below: check it and "
            "enter your changes again."
        )
        super().__init__(self.message)
        self.current = current


# --- helpers -----------------------------------------------------------------------


def claim_version(obj: models.Model, version: int | None) -> None:
    """Move ``obj``'s version on by one if it still is ``version``, in one conditional
    UPDATE inside the caller's transaction; otherwise raise ``RecordChanged``.

    The UPDATE also locks the row until commit, so of two edits based on the same version
    the second waits, then matches no row and is refused. ``version`` None skips the
    check (for callers that have just read the row under ``select_for_update``) but the
    version still moves on, so that forms opened before this change notice it."""
    model = type(obj)
    rows = model.objects.filter(pk=obj.pk)
    if version is not None:
        rows = rows.filter(version=version)
    if not rows.update(version=F("version") + 1):
        raise RecordChanged(model.objects.get(pk=obj.pk))
    if version is not None:
        obj.version = version + 1
    else:
        obj.version = model.objects.filter(pk=obj.pk).values_list("version", flat=True).get()


def case_event_append(case: Case, actor: User | None, kind: str, **data: Any) -> CaseEvent:
    """Append to the case's history. Every service that changes a case, in any program
    app, calls this inside its transaction; the referral rules re-run for the case
    after commit."""
    enqueue_case_evaluation(case)
    return CaseEvent.objects.create(
        municipality_id=case.municipality_id, case=case, actor=actor, kind=kind, data=data
    )


_event = case_event_append


def _audit(user: User | None, action: str, obj: Any, *, person_id=None, case_id=None, **detail):
    return audit_write(
        user=user,
        municipality_id=obj.municipality_id,
        action=action,
        obj=obj,
        person_id=person_id,
        case_id=case_id,
        detail=detail,
    )


def _same_municipality(municipality_id: int, *objects: Any) -> None:
    """Refuse to link records of two municipalities (a programming or tampering error)."""
    for obj in objects:
        if obj is None:
            continue
        owner = getattr(obj, "municipality_id", municipality_id)
        if owner is not None and owner != municipality_id:
            raise CaseRuleError(_("The record belongs to another municipality."))


def _text(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


# --- persons and households ---------------------------------------------------------


PERSON_FIELDS = (
    "name", "name_kana", "birth_date", "sex", "sex_note", "address",
    "phone_home", "phone_mobile", "email",
)  # fmt: skip


def check_birth_date(value: datetime.date | None) -> None:
    """The one rule for a date of birth, shared by the forms and the API."""
    if value and value > timezone.localdate():
        raise CaseRuleError(_("The date of birth cannot be in the future."), "birth_date")
    if value and value.year < 1900:
        raise CaseRuleError(_("Check the year of birth."), "birth_date")


@transaction.atomic
def person_create(*, user: User, municipality: Municipality, **fields: Any) -> Person:
    check_birth_date(fields.get("birth_date"))
    person = Person(municipality=municipality, created_by=user)
    for name in PERSON_FIELDS:
        if name in fields:
            setattr(person, name, fields[name])
    person.full_clean(exclude=["created_by"])
    person.save()
    _audit(user, AuditEvent.Action.CREATE, person, person_id=person.pk)
    return person


@transaction.atomic
def person_update(
    *, user: User, person: Person, version: int | None = None, **fields: Any
) -> Person:
    """Change a person's details. ``version`` is the one the editor read: if the person
    was saved since, ``RecordChanged`` is raised and nothing is saved."""
    check_birth_date(fields.get("birth_date"))
    previous = {name: _text(getattr(person, name)) for name in fields if name in PERSON_FIELDS}
    changed = {}
    for name, value in fields.items():
        if name not in PERSON_FIELDS:
            raise TypeError(name)
        if getattr(person, name) != value:
            changed[name] = previous[name]
            setattr(person, name, value)
    if not changed:
        return person
    claim_version(person, version)
    person.full_clean(exclude=["created_by"])
    person.save()
    # The previous values are kept in the audit trail: nothing written is lost.
    _audit(user, AuditEvent.Action.UPDATE, person, person_id=person.pk, previous=changed)
    return person


@transaction.atomic
def household_create(*, user: User, case: Case, name: str, address: str = "") -> Household:
    household = Household.objects.create(
        municipality_id=case.municipality_id, name=name, address=address
    )
    HouseholdMember.objects.create(
        municipality_id=case.municipality_id,
        household=household,
        person=case.person,
        relationship=Relationship.SELF,
    )
    case.household = household
    case.save(update_fields=["household", "updated_at"])
    _event(case, user, "household_created", household=household.pk, name=name)
    _audit(user, AuditEvent.Action.CREATE, household, case_id=case.pk, person_id=case.person_id)
    return household


@transaction.atomic
def household_add_member(
    *,
    user: User,
    case: Case,
    person: Person,
    relationship: str,
    is_carer: bool = False,
    needs_care: bool = False,
    works: bool | None = None,
    notes: str = "",
) -> HouseholdMember:
    household = case.household
    if household is None:
        raise CaseRuleError(_("Record the household first."))
    _same_municipality(case.municipality_id, person)
    if household.members.filter(person=person, left_at__isnull=True).exists():
        raise CaseRuleError(_("This person is already a member of the household."), "person")
    member = HouseholdMember.objects.create(
        municipality_id=case.municipality_id,
        household=household,
        person=person,
        relationship=relationship,
        is_carer=is_carer,
        needs_care=needs_care,
        works=works,
        notes=notes,
    )
    _event(case, user, "household_member_added", person=person.pk, relationship=relationship)
    _audit(user, AuditEvent.Action.UPDATE, household, case_id=case.pk, member=person.pk)
    return member


@transaction.atomic
def household_member_update(
    *,
    user: User,
    case: Case,
    member: HouseholdMember,
    relationship: str,
    is_carer: bool,
    needs_care: bool,
    works: bool | None,
    notes: str = "",
) -> HouseholdMember:
    if member.household_id != case.household_id:
        raise CaseRuleError(_("The member belongs to another household."))
    if member.person_id == case.person_id and relationship != Relationship.SELF:
        raise CaseRuleError(_("The case's own person is 本人 in the household."), "relationship")
    previous = {
        "relationship": member.relationship,
        "is_carer": member.is_carer,
        "needs_care": member.needs_care,
        "works": member.works,
        "notes": member.notes,
    }
    member.relationship = relationship
    member.is_carer = is_carer
    member.needs_care = needs_care
    member.works = works
    member.notes = notes
    member.save()
    _event(case, user, "household_member_updated", person=member.person_id, previous=previous)
    _audit(user, AuditEvent.Action.UPDATE, member.household, case_id=case.pk)
    return member


@transaction.atomic
def household_member_leave(
    *, user: User, case: Case, member: HouseholdMember, left_on: datetime.date
) -> HouseholdMember:
    if member.relationship == Relationship.SELF and member.person_id == case.person_id:
        raise CaseRuleError(_("The case's own person cannot leave the household."))
    member.left_at = left_on
    member.save(update_fields=["left_at"])
    _event(case, user, "household_member_left", person=member.person_id, on=left_on.isoformat())
    _audit(user, AuditEvent.Action.UPDATE, member.household, case_id=case.pk)
    return member


# --- cases -------------------------------------------------------------------------


def _next_case_number(municipality: Municipality, opened_on: datetime.date) -> str:
    """'2026-00042': fiscal year and a running number, unique per municipality."""
    # Serialise case numbering per municipality (a no-op lock on SQLite).
    Municipality.objects.select_for_update().filter(pk=municipality.pk).exists()
    prefix = f"{fiscal_year_of(opened_on)}-"
    last = (
        Case.objects.filter(municipality=municipality, number__startswith=prefix)
        .aggregate(m=Max("number"))
        .get("m")
    )
    sequence = int(last.split("-")[1]) + 1 if last else 1
    return f"{prefix}{sequence:05d}"


def _set_categories(
    case: Case, categories: Sequence[IssueCategory], primary: IssueCategory | None
) -> None:
    for category in categories:
        if category.municipality_id not in (None, case.municipality_id):
            raise CaseRuleError(_("The record belongs to another municipality."), "categories")
    if primary is not None and primary not in categories:
        categories = [*categories, primary]
    categories = list({category.pk: category for category in categories}.values())  # once each
    CaseCategory.objects.filter(case=case).delete()
    CaseCategory.objects.bulk_create(
        [
            CaseCategory(
                municipality_id=case.municipality_id,
                case=case,
                category=category,
                is_primary=primary is not None and category.pk == primary.pk,
            )
            for category in categories
        ]
    )


@transaction.atomic
def case_open(
    *,
    user: User,
    person: Person,
    route: ContactRoute,
    categories: Sequence[IssueCategory] = (),
    primary_category: IssueCategory | None = None,
    opened_on: datetime.date | None = None,
    assigned_to: User | None = None,
    agencies: Iterable[SupportAgency] = (),
    is_sensitive: bool = False,
) -> Case:
    if route.municipality_id not in (None, person.municipality_id):
        raise CaseRuleError(_("The record belongs to another municipality."), "route")
    agencies = list(agencies)
    _same_municipality(person.municipality_id, *agencies)
    if assigned_to is not None:
        membership = active_membership(assigned_to)
        if membership is None or membership.municipality_id != person.municipality_id:
            raise CaseRuleError(_("The caseworker must work in this municipality."), "assigned_to")
    opened_on = opened_on or timezone.localdate()
    case = Case.objects.create(
        municipality_id=person.municipality_id,
        number=_next_case_number(person.municipality, opened_on),
        person=person,
        route=route,
        opened_on=opened_on,
        assigned_to=assigned_to,
        is_sensitive=is_sensitive,
        created_by=user,
    )
    _set_categories(case, list(categories), primary_category)
    case.agencies.set(agencies)
    _event(
        case,
        user,
        "opened",
        route=route.code,
        categories=[c.code for c in categories],
        primary=primary_category.code if primary_category else None,
    )
    _audit(user, AuditEvent.Action.CREATE, case, case_id=case.pk, person_id=person.pk)
    return case


@transaction.atomic
def case_update(
    *,
    user: User,
    case: Case,
    route: ContactRoute,
    categories: Sequence[IssueCategory],
    primary_category: IssueCategory | None,
    assigned_to: User | None,
    agencies: Iterable[SupportAgency],
    is_sensitive: bool,
    version: int | None = None,
) -> Case:
    """Change a case's route, issues, caseworker, agencies and sensitivity. ``version`` is
    the one the editor read: if the case was saved since, ``RecordChanged`` is raised and
    nothing is saved."""
    claim_version(case, version)
    agencies = list(agencies)
    _same_municipality(case.municipality_id, *agencies)
    if assigned_to is not None:
        membership = active_membership(assigned_to)
        if membership is None or membership.municipality_id != case.municipality_id:
            raise CaseRuleError(_("The caseworker must work in this municipality."), "assigned_to")
    before = {
        "route": case.route.code,
        "categories": sorted(c.category.code for c in case.case_categories.all()),
        "assigned_to": case.assigned_to_id,
        "agencies": sorted(case.agencies.values_list("pk", flat=True)),
        "is_sensitive": case.is_sensitive,
    }
    case.route = route
    case.assigned_to = assigned_to
    case.is_sensitive = is_sensitive
    case.save(update_fields=["route", "assigned_to", "is_sensitive", "version", "updated_at"])
    _set_categories(case, list(categories), primary_category)
    case.agencies.set(agencies)
    _event(
        case,
        user,
        "updated",
        before=before,
        after={
            "route": route.code,
            "categories": sorted(c.code for c in categories),
            "assigned_to": assigned_to.pk if assigned_to else None,
            "agencies": sorted(a.pk for a in agencies),
            "is_sensitive": is_sensitive,
        },
    )
    _audit(user, AuditEvent.Action.UPDATE, case, case_id=case.pk, person_id=case.person_id)
    return case


S = Case.Status
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.INTAKE: (S.ASSESSMENT, S.CLOSED),
    S.ASSESSMENT: (S.PLANNING, S.SUPPORT, S.CLOSED),
    S.PLANNING: (S.SUPPORT, S.ASSESSMENT, S.CLOSED),
    S.SUPPORT: (S.MONITORING, S.PLANNING, S.CLOSED),
    S.MONITORING: (S.SUPPORT, S.PLANNING, S.CLOSED),
    S.CLOSED: (S.ASSESSMENT,),  # 再開 (reopening)
}


def allowed_transitions(case: Case) -> tuple[str, ...]:
    return STATUS_TRANSITIONS.get(case.status, ())


@transaction.atomic
def case_change_status(
    *, user: User, case: Case, to_status: str, reason: str = "", on: datetime.date | None = None
) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if to_status not in allowed_transitions(case):
        raise CaseRuleError(
            _("A case cannot go from “%(from)s” to “%(to)s”.")
            % {"from": case.get_status_display(), "to": Case.Status(to_status).label}
            if to_status in Case.Status.values
            else _("Unknown status."),
            "to_status",
        )
    reason = (reason or "").strip()
    if to_status == S.CLOSED and not reason:
        raise CaseRuleError(_("Give the reason for closing the case."), "reason")
    if case.status == S.CLOSED and not reason:
        raise CaseRuleError(_("Give the reason for reopening the case."), "reason")
    if case.status == S.PLANNING and to_status == S.SUPPORT:
        if not case.plans.filter(status=SupportPlan.Status.DECIDED).exists():
            raise CaseRuleError(
                _(
                    "Support starts from planning only with a plan decided at a "
                    "multi-agency support meeting."
                ),
                "to_status",
            )
    previous = case.status
    case.status = to_status
    case.version += 1  # forms opened before the change notice it
    if to_status == S.CLOSED:
        case.closed_on = on or timezone.localdate()
        case.close_reason = reason
    elif previous == S.CLOSED:
        case.closed_on = None
        case.close_reason = ""
    case.save()
    _event(case, user, "status_changed", before=previous, after=to_status, reason=reason)
    _audit(
        user,
        AuditEvent.Action.UPDATE,
        case,
        case_id=case.pk,
        person_id=case.person_id,
        status=[previous, to_status],
    )
    return case


# --- consultations -----------------------------------------------------------------


@dataclass
class ConsultationData:
    occurred_at: datetime.datetime
    method: ConsultationMethod
    summary: str
    follow_up_on: datetime.date | None = None
    visitor_name: str = ""
    visitor_relationship: str = ""
    visitor_phone: str = ""


@transaction.atomic
def consultation_log(*, user: User, case: Case, data: ConsultationData) -> Consultation:
    if not data.summary.strip():
        raise CaseRuleError(_("Write what the consultation was about."), "summary")
    if data.method.municipality_id not in (None, case.municipality_id):
        raise CaseRuleError(_("The record belongs to another municipality."), "method")
    if data.occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        raise CaseRuleError(_("A consultation cannot be in the future."), "occurred_at")
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
    _event(case, user, "consultation_logged", consultation=consultation.pk, method=data.method.code)
    _audit(user, AuditEvent.Action.CREATE, consultation, case_id=case.pk, person_id=case.person_id)
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
    if consultation.deleted_at is not None:
        raise CaseRuleError(_("A withdrawn consultation cannot be changed."))
    if not summary.strip():
        raise CaseRuleError(_("Write what the consultation was about."), "summary")
    claim_version(consultation, version)
    previous = {
        "summary": consultation.summary,
        "follow_up_on": _text(consultation.follow_up_on),
    }
    consultation.summary = summary.strip()
    if follow_up_on != consultation.follow_up_on:
        consultation.follow_up_done_at = None
    consultation.follow_up_on = follow_up_on
    consultation.save()
    # The earlier text stays in the case history.
    _event(
        consultation.case,
        user,
        "consultation_amended",
        consultation=consultation.pk,
        previous=previous,
    )
    _audit(
        user,
        AuditEvent.Action.UPDATE,
        consultation,
        case_id=consultation.case_id,
        person_id=consultation.case.person_id,
    )
    return consultation


@transaction.atomic
def consultation_withdraw(*, user: User, consultation: Consultation, reason: str) -> Consultation:
    if not reason.strip():
        raise CaseRuleError(_("Give the reason for withdrawing the entry."), "reason")
    if consultation.deleted_at is not None:
        return consultation
    consultation.deleted_at = timezone.now()
    consultation.save(update_fields=["deleted_at", "updated_at"])
    _event(
        consultation.case,
        user,
        "consultation_withdrawn",
        consultation=consultation.pk,
        reason=reason.strip(),
    )
    _audit(
        user,
        AuditEvent.Action.DELETE,
        consultation,
        case_id=consultation.case_id,
        person_id=consultation.case.person_id,
    )
    return consultation


# --- intake ------------------------------------------------------------------------


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


# --- consent -----------------------------------------------------------------------


@transaction.atomic
def consent_record(
    *,
    user: User,
    person: Person,
    case: Case | None,
    agencies: Iterable[SupportAgency],
    purpose: str,
    scope: str,
    method: str,
    given_on: datetime.date,
    legal_basis: str = Consent.LegalBasis.CONSENT,
    covers_multiagency_meeting: bool = True,
    witness: str = "",
    rules_explained: bool = False,
) -> Consent:
    agencies = list(agencies)
    _same_municipality(person.municipality_id, case, *agencies)
    if case is not None and case.person_id != person.pk:
        raise CaseRuleError(_("The case belongs to another person."), "case")
    if given_on > timezone.localdate():
        raise CaseRuleError(_("Consent cannot be dated in the future."), "given_on")
    if method == Consent.Method.ORAL and not witness.strip():
        raise CaseRuleError(_("Oral consent needs a witness."), "witness")
    consent = Consent.objects.create(
        municipality_id=person.municipality_id,
        person=person,
        case=case,
        purpose=purpose,
        scope=scope,
        method=method,
        witness=witness,
        rules_explained=rules_explained,
        given_on=given_on,
        legal_basis=legal_basis,
        covers_multiagency_meeting=covers_multiagency_meeting,
        recorded_by=user,
    )
    consent.agencies.set(agencies)
    if case is not None:
        _event(case, user, "consent_recorded", consent=consent.pk, given_on=given_on.isoformat())
    _audit(
        user,
        AuditEvent.Action.CREATE,
        consent,
        person_id=person.pk,
        case_id=case.pk if case else None,
    )
    return consent


@transaction.atomic
def consent_withdraw(
    *, user: User, consent: Consent, withdrawn_on: datetime.date, note: str = ""
) -> Consent:
    if consent.withdrawn_on is not None:
        raise CaseRuleError(_("This consent has already been withdrawn."))
    if withdrawn_on < consent.given_on:
        raise CaseRuleError(_("Consent cannot be withdrawn before it was given."), "withdrawn_on")
    if withdrawn_on > timezone.localdate():
        raise CaseRuleError(_("The withdrawal cannot be dated in the future."), "withdrawn_on")
    consent.withdrawn_on = withdrawn_on
    consent.withdrawal_note = note
    consent.save(update_fields=["withdrawn_on", "withdrawal_note"])
    if consent.case_id:
        _event(consent.case, user, "consent_withdrawn", consent=consent.pk)
    _audit(
        user,
        AuditEvent.Action.UPDATE,
        consent,
        person_id=consent.person_id,
        case_id=consent.case_id,
        withdrawn_on=withdrawn_on.isoformat(),
    )
    return consent


def valid_consent_for(case: Case, day: datetime.date) -> Consent | None:
    """A consent of the case's person that covers this case and the multi-agency
    support meeting on ``day``."""
    for consent in Consent.objects.filter(
        person_id=case.person_id, covers_multiagency_meeting=True, given_on__lte=day
    ).order_by("-given_on"):
        if consent.case_id not in (None, case.pk):
            continue
        if consent.is_valid_on(day):
            return consent
    return None


# --- plans -------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *,
    user: User,
    case: Case,
    goals: str,
    review_on: datetime.date,
    actions: Sequence[tuple[SupportAgency | None, str]],
    uses_participation: bool = False,
    uses_outreach: bool = False,
    lead_agency: SupportAgency | None = None,
    created_on: datetime.date | None = None,
) -> SupportPlan:
    if not case.is_open:
        raise CaseRuleError(_("A closed case cannot get a new plan. Reopen it first."))
    if not goals.strip():
        raise CaseRuleError(_("Write the goals of the plan."), "goals")
    created_on = created_on or timezone.localdate()
    if review_on <= created_on:
        raise CaseRuleError(_("The review date must be after the plan's date."), "review_on")
    actions = [(agency, text.strip()) for agency, text in actions if text and text.strip()]
    if not actions:
        raise CaseRuleError(_("Give at least one action and who does it."), "actions")
    _same_municipality(case.municipality_id, lead_agency, *(a for a, _t in actions))
    last = case.plans.aggregate(v=Max("version"))["v"] or 0
    case.plans.filter(status=SupportPlan.Status.DRAFT).update(status=SupportPlan.Status.SUPERSEDED)
    plan = SupportPlan.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        version=last + 1,
        created_on=created_on,
        goals=goals.strip(),
        review_on=review_on,
        uses_participation=uses_participation,
        uses_outreach=uses_outreach,
        lead_agency=lead_agency,
        created_by=user,
    )
    PlanAction.objects.bulk_create(
        [
            PlanAction(municipality_id=case.municipality_id, plan=plan, agency=agency, action=text)
            for agency, text in actions
        ]
    )
    _event(case, user, "plan_created", plan=plan.pk, version=plan.version)
    _audit(user, AuditEvent.Action.CREATE, plan, case_id=case.pk, person_id=case.person_id)
    return plan


# --- meetings ----------------------------------------------------------------------


@dataclass
class AttendeeData:
    name: str
    organisation: str
    agency: SupportAgency | None = None
    secrecy_acknowledged: bool = False


@dataclass
class MeetingItemData:
    case: Case
    decision: str = MeetingCase.Decision.DISCUSSED
    plan: SupportPlan | None = None
    note: str = ""


PLAN_DECISIONS = {
    MeetingCase.Decision.DECIDE_PLAN,
    MeetingCase.Decision.REVIEWED,
    MeetingCase.Decision.CLOSE,
    MeetingCase.Decision.SUSPEND,
}


@transaction.atomic
def meeting_record(
    *,
    user: User,
    municipality: Municipality,
    kind: str,
    held_on: datetime.date,
    title: str,
    attendees: Sequence[AttendeeData],
    items: Sequence[MeetingItemData],
    notes: str = "",
) -> Meeting:
    """Record a meeting with the rules the law sets for each kind:

    - 支援会議 (art. 106-6) may discuss a person without consent, but every attendee is
      bound to secrecy and must have acknowledged it; it decides no plan.
    - 重層的支援会議 takes up only cases whose person has a valid consent covering it on
      the day; it approves plans (支援決定), reviews them, closes or suspends them.
    """
    if kind not in Meeting.Kind.values:
        raise CaseRuleError(_("Unknown kind of meeting."), "kind")
    if held_on > timezone.localdate():
        raise CaseRuleError(_("A meeting cannot be recorded before it is held."), "held_on")
    attendees = [a for a in attendees if a.name.strip()]
    if not attendees:
        raise CaseRuleError(_("Record who attended."), "attendees")
    if not items:
        raise CaseRuleError(_("Choose at least one case."), "cases")
    if len({item.case.pk for item in items}) < len(items):
        raise CaseRuleError(_("Each case can be taken up only once per meeting."), "cases")
    for item in items:
        _same_municipality(municipality.pk, item.case, item.plan)
    _same_municipality(municipality.pk, *(a.agency for a in attendees))
    if kind == Meeting.Kind.SUPPORT:
        missing = [a.name for a in attendees if not a.secrecy_acknowledged]
        if missing:
            raise CaseRuleError(
                _(
                    "Every attendee of a support meeting must acknowledge the duty of "
                    "secrecy: %(names)s"
                )
                % {"names": "、".join(missing)},
                "attendees",
            )
        if any(item.decision in PLAN_DECISIONS for item in items):
            raise CaseRuleError(
                _("Plans are decided, reviewed and closed only at a multi-agency support meeting."),
                "cases",
            )
    else:
        without = [item.case for item in items if valid_consent_for(item.case, held_on) is None]
        if without:
            raise CaseRuleError(
                _(
                    "No valid consent on %(day)s for: %(cases)s. A multi-agency support "
                    "meeting needs the person's consent; discuss the case at a support "
                    "meeting (art. 106-6) instead."
                )
                % {"day": held_on.isoformat(), "cases": "、".join(c.number for c in without)},
                "cases",
            )
    for item in items:
        if item.decision in PLAN_DECISIONS and item.decision != MeetingCase.Decision.CLOSE:
            if item.plan is None:
                raise CaseRuleError(
                    _("Choose the plan of case %(case)s that the decision is about.")
                    % {"case": item.case.number},
                    "cases",
                )
        if item.plan is not None and item.plan.case_id != item.case.pk:
            raise CaseRuleError(_("The plan belongs to another case."), "cases")
        if item.decision == MeetingCase.Decision.DECIDE_PLAN:
            if item.plan.status != SupportPlan.Status.DRAFT:
                raise CaseRuleError(
                    _("Only a draft plan can be approved (case %(case)s).")
                    % {"case": item.case.number},
                    "cases",
                )
        if item.decision in (MeetingCase.Decision.REVIEWED, MeetingCase.Decision.SUSPEND):
            if item.plan.status != SupportPlan.Status.DECIDED:
                raise CaseRuleError(
                    _("Only a decided plan can be reviewed or suspended (case %(case)s).")
                    % {"case": item.case.number},
                    "cases",
                )

    meeting = Meeting.objects.create(
        municipality=municipality,
        kind=kind,
        held_on=held_on,
        title=title.strip() or Meeting.Kind(kind).label,
        notes=notes,
        created_by=user,
    )
    MeetingAttendee.objects.bulk_create(
        [
            MeetingAttendee(
                municipality=municipality,
                meeting=meeting,
                name=a.name.strip(),
                organisation=a.organisation.strip(),
                agency=a.agency,
                secrecy_acknowledged=a.secrecy_acknowledged,
            )
            for a in attendees
        ]
    )
    for item in items:
        MeetingCase.objects.create(
            municipality=municipality,
            meeting=meeting,
            case=item.case,
            decision=item.decision,
            plan=item.plan,
            note=item.note,
        )
        _apply_decision(user, meeting, item)
        _event(
            item.case,
            user,
            "meeting",
            meeting=meeting.pk,
            meeting_kind=kind,
            decision=item.decision,
        )
    _audit(user, AuditEvent.Action.CREATE, meeting, cases=[i.case.pk for i in items])
    return meeting


def _apply_decision(user: User, meeting: Meeting, item: MeetingItemData) -> None:
    plan = item.plan
    D = MeetingCase.Decision
    if item.decision == D.DECIDE_PLAN:
        item.case.plans.filter(status=SupportPlan.Status.DECIDED).update(
            status=SupportPlan.Status.SUPERSEDED
        )
        plan.status = SupportPlan.Status.DECIDED
        plan.decided_at_meeting = meeting
        plan.decision_note = item.note
        plan.save(update_fields=["status", "decided_at_meeting", "decision_note"])
    elif item.decision == D.SUSPEND:
        plan.status = SupportPlan.Status.SUSPENDED
        plan.decision_note = item.note
        plan.save(update_fields=["status", "decision_note"])
    elif item.decision == D.CLOSE:
        item.case.plans.filter(
            status__in=[SupportPlan.Status.DECIDED, SupportPlan.Status.DRAFT]
        ).update(status=SupportPlan.Status.CLOSED)
        if item.case.is_open:
            case_change_status(
                user=user,
                case=item.case,
                to_status=Case.Status.CLOSED,
                reason=item.note or _("Closed by the multi-agency support meeting."),
                on=meeting.held_on,
            )


# --- referrals ---------------------------------------------------------------------

# Who answers for a receiving program.
RECEIVING_ROLES: dict[str, tuple[str, ...]] = {
    Program.CONSULTATION: (Role.CASEWORKER, Role.MANAGER),
    Program.PARTICIPATION: (Role.COORDINATOR, Role.MANAGER),
    Program.COMMUNITY: (Role.COMMUNITY_WORKER, Role.MANAGER),
    # An outside agency has no account: a caseworker records its answer.
    Program.AGENCY: (Role.CASEWORKER, Role.MANAGER),
}


@transaction.atomic
def referral_create(
    *,
    user: User,
    case: Case,
    from_program: str,
    to_program: str,
    reason: str,
    to_agency: SupportAgency | None = None,
    from_agency: SupportAgency | None = None,
    acknowledge_within_days: int = REFERRAL_ACKNOWLEDGE_DAYS,
) -> Referral:
    if from_program not in Program.values or to_program not in Program.values:
        raise CaseRuleError(_("Unknown program."), "to_program")
    if from_program == to_program and to_program != Program.AGENCY:
        raise CaseRuleError(_("A referral goes to another program."), "to_program")
    if to_program == Program.AGENCY and to_agency is None:
        raise CaseRuleError(_("Choose the receiving agency."), "to_agency")
    if not reason.strip():
        raise CaseRuleError(_("Give the reason for the referral."), "reason")
    if not case.is_open:
        raise CaseRuleError(_("A closed case cannot be referred. Reopen it first."))
    _same_municipality(case.municipality_id, to_agency, from_agency)
    open_same = Referral.objects.filter(
        case=case,
        to_program=to_program,
        to_agency=to_agency,
        status__in=[Referral.Status.PROPOSED, Referral.Status.ACCEPTED],
    )
    if open_same.exists():
        raise CaseRuleError(
            _("This case already has an open referral to the same destination."), "to_program"
        )
    referral = Referral.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        from_program=from_program,
        from_agency=from_agency,
        to_program=to_program,
        to_agency=to_agency,
        reason=reason.strip(),
        acknowledge_by=timezone.localdate() + datetime.timedelta(days=acknowledge_within_days),
        created_by=user,
    )
    _event(case, user, "referral_created", referral=referral.pk, to=to_program)
    _audit(user, AuditEvent.Action.CREATE, referral, case_id=case.pk, person_id=case.person_id)
    return referral


def can_respond(user: User, referral: Referral) -> bool:
    membership = active_membership(user)
    return (
        membership is not None
        and membership.municipality_id == referral.municipality_id
        and membership.role in RECEIVING_ROLES[referral.to_program]
    )


@transaction.atomic
def referral_respond(*, user: User, referral: Referral, accept: bool, note: str = "") -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if not can_respond(user, referral):
        raise CaseRuleError(_("Only the receiving side can answer this referral."))
    if referral.status != Referral.Status.PROPOSED:
        raise CaseRuleError(_("This referral has already been answered."))
    if not accept and not note.strip():
        raise CaseRuleError(_("Give the reason for declining."), "note")
    referral.status = Referral.Status.ACCEPTED if accept else Referral.Status.DECLINED
    referral.responded_by = user
    referral.responded_at = timezone.now()
    referral.response_note = note.strip()
    referral.save()
    _event(referral.case, user, "referral_answered", referral=referral.pk, status=referral.status)
    _audit(user, AuditEvent.Action.UPDATE, referral, case_id=referral.case_id)
    return referral


@transaction.atomic
def referral_complete(*, user: User, referral: Referral, note: str = "") -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if not can_respond(user, referral):
        raise CaseRuleError(_("Only the receiving side can answer this referral."))
    if referral.status != Referral.Status.ACCEPTED:
        raise CaseRuleError(_("Only an accepted referral can be completed."))
    referral.status = Referral.Status.COMPLETED
    referral.completed_at = timezone.now()
    if note.strip():
        referral.response_note = note.strip()
    referral.save()
    _event(referral.case, user, "referral_completed", referral=referral.pk)
    _audit(user, AuditEvent.Action.UPDATE, referral, case_id=referral.case_id)
    return referral


# --- agencies and master data --------------------------------------------------------


@transaction.atomic
def agency_create(
    *,
    user: User,
    municipality: Municipality,
    name: str,
    field: str,
    kind: str = "",
    contact: str = "",
) -> SupportAgency:
    if SupportAgency.objects.filter(municipality=municipality, name=name.strip()).exists():
        raise CaseRuleError(_("An agency with this name already exists."), "name")
    return SupportAgency.objects.create(
        municipality=municipality, name=name.strip(), field=field, kind=kind, contact=contact
    )


MASTER_MODELS = {
    "category": IssueCategory,
    "route": ContactRoute,
    "method": ConsultationMethod,
}


@transaction.atomic
def master_data_add(
    *, user: User, municipality: Municipality, kind: str, code: str, name: str, field: str = ""
) -> Any:
    """A municipality's own category, route or method beside the national defaults.
    Codes never change once used, so statistics stay comparable."""
    model = MASTER_MODELS.get(kind)
    if model is None:
        raise CaseRuleError(_("Unknown list."), "kind")
    code, name = code.strip(), name.strip()
    if (
        model.objects.filter(code=code, municipality__isnull=True).exists()
        or model.objects.filter(code=code, municipality=municipality).exists()
    ):
        raise CaseRuleError(_("This code is already in use."), "code")
    extra = {}
    if model is IssueCategory:
        if field not in Field.values:
            raise CaseRuleError(_("Choose the field of the issue."), "field")
        extra["field"] = field
    entry = model.objects.create(
        municipality=municipality, code=code, name=name, sort_order=1000, **extra
    )
    audit_write(
        user=user, municipality_id=municipality.pk, action=AuditEvent.Action.CREATE, obj=entry
    )
    return entry
