"""Writes of the shared core: persons, households, cases and their status, consent and
master data. Each is a transaction, checks the rules, appends to the case history and
writes the audit event."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core.consent import meeting_consents, sharing_basis
from cases.core.queries import CASE_OPENING_ROLES, CASE_ROLES, agency_of
from cases.core.text import is_kana_reading, kana_reading
from cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    Consent,
    ConsultationMethod,
    ContactRoute,
    Field,
    Household,
    HouseholdMember,
    IssueCategory,
    Person,
    Relationship,
    SupportAgency,
    SupportPlan,
)
from cases.registry import announce_case_changed
from municipalities.audit import audit_change, audit_write
from municipalities.audit_chain import municipality_write_lock
from municipalities.models import AuditEvent, Municipality, Role, User
from municipalities.scoping import active_membership, require_role, same_municipality
from portal.errors import CaseRuleError
from portal.fiscal import fiscal_year_of
from portal.records import as_json_value, claim_version


def case_event_append(case: Case, actor: User | None, kind: str, **data: Any) -> CaseEvent:
    """Append to the case's history. Every service that changes a case, in any program
    app, calls this inside its transaction; the referral rules re-run for the case
    after commit."""
    announce_case_changed(case)
    return CaseEvent.objects.create(
        municipality_id=case.municipality_id, case=case, actor=actor, kind=kind, data=data
    )


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


def clean_name_kana(value: str) -> str:
    """The one rule for a reading: kana only (hiragana or katakana, any width), returned
    as it is stored. Shared by the forms; the services apply it again on write."""
    value = kana_reading(value or "")
    if value and not is_kana_reading(value):
        raise CaseRuleError(_("Enter the reading in kana (hiragana or katakana)."), "name_kana")
    return value


def _check_person_fields(fields: dict[str, Any]) -> None:
    check_birth_date(fields.get("birth_date"))
    if "name_kana" in fields:
        fields["name_kana"] = clean_name_kana(fields["name_kana"])


@transaction.atomic
def person_create(*, user: User, municipality: Municipality, **fields: Any) -> Person:
    require_role(user, *CASE_OPENING_ROLES)
    _check_person_fields(fields)
    person = Person(municipality=municipality, created_by=user)
    for name in PERSON_FIELDS:
        if name in fields:
            setattr(person, name, fields[name])
    person.full_clean(exclude=["created_by"])
    person.save()
    audit_change(user, AuditEvent.Action.CREATE, person, person_id=person.pk)
    return person


@transaction.atomic
def person_update(
    *, user: User, person: Person, version: int | None = None, **fields: Any
) -> Person:
    """Change a person's details. ``version`` is the one the editor read: if the person
    was saved since, ``RecordChanged`` is raised and nothing is saved."""
    require_role(user, *CASE_ROLES)
    _check_person_fields(fields)
    previous = {
        name: as_json_value(getattr(person, name)) for name in fields if name in PERSON_FIELDS
    }
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
    audit_change(user, AuditEvent.Action.UPDATE, person, person_id=person.pk, previous=changed)
    return person


@transaction.atomic
def household_create(*, user: User, case: Case, name: str, address: str = "") -> Household:
    require_role(user, *CASE_ROLES)
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
    case_event_append(case, user, "household_created", household=household.pk, name=name)
    audit_change(
        user, AuditEvent.Action.CREATE, household, case_id=case.pk, person_id=case.person_id
    )
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
    require_role(user, *CASE_ROLES)
    household = case.household
    if household is None:
        raise CaseRuleError(_("Record the household first."))
    same_municipality(case.municipality_id, person)
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
    case_event_append(
        case, user, "household_member_added", person=person.pk, relationship=relationship
    )
    audit_change(user, AuditEvent.Action.UPDATE, household, case_id=case.pk, member=person.pk)
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
    require_role(user, *CASE_ROLES)
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
    case_event_append(
        case, user, "household_member_updated", person=member.person_id, previous=previous
    )
    audit_change(user, AuditEvent.Action.UPDATE, member.household, case_id=case.pk)
    return member


@transaction.atomic
def household_member_leave(
    *, user: User, case: Case, member: HouseholdMember, left_on: datetime.date
) -> HouseholdMember:
    require_role(user, *CASE_ROLES)
    if member.relationship == Relationship.SELF and member.person_id == case.person_id:
        raise CaseRuleError(_("The case's own person cannot leave the household."))
    member.left_at = left_on
    member.save(update_fields=["left_at"])
    case_event_append(
        case, user, "household_member_left", person=member.person_id, on=left_on.isoformat()
    )
    audit_change(user, AuditEvent.Action.UPDATE, member.household, case_id=case.pk)
    return member


def _next_case_number(municipality: Municipality, opened_on: datetime.date) -> str:
    """'2026-00042': fiscal year and a running number, unique per municipality."""
    # Serialise case numbering per municipality (a no-op lock on SQLite) on the lock every
    # audit write of the municipality takes: an intake audits its person before numbering
    # the case, so two locks would deadlock it against a case being opened.
    municipality_write_lock(municipality.pk)
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
    lead_agency: SupportAgency | None = None,
) -> Case:
    """Open a case. Its lead agency (主担当機関) is ``lead_agency`` or the opener's own
    agency; other ``agencies`` join it only with the person's consent naming them."""
    require_role(user, *CASE_OPENING_ROLES)
    if route.municipality_id not in (None, person.municipality_id):
        raise CaseRuleError(_("The record belongs to another municipality."), "route")
    agencies = list(agencies)
    lead_agency = lead_agency or agency_of(user)
    same_municipality(person.municipality_id, lead_agency, *agencies)
    if assigned_to is not None:
        membership = active_membership(assigned_to)
        if membership is None or membership.municipality_id != person.municipality_id:
            raise CaseRuleError(_("The caseworker must work in this municipality."), "assigned_to")
    if opened_on is not None and opened_on > timezone.localdate():
        raise CaseRuleError(_("The opening date cannot be in the future."), "opened_on")
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
        lead_agency=lead_agency,
    )
    _set_categories(case, list(categories), primary_category)
    others = [a for a in agencies if a != lead_agency]
    for agency in others:
        sharing_basis(case, agency, day=opened_on, field="agencies")
    case.agencies.set(others, through_defaults={"municipality_id": case.municipality_id})
    case_event_append(
        case,
        user,
        "opened",
        route=route.code,
        categories=[c.code for c in categories],
        primary=primary_category.code if primary_category else None,
    )
    audit_change(user, AuditEvent.Action.CREATE, case, case_id=case.pk, person_id=person.pk)
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
    require_role(user, *CASE_ROLES)
    claim_version(case, version)
    agencies = list(agencies)
    same_municipality(case.municipality_id, *agencies)
    if assigned_to is not None:
        membership = active_membership(assigned_to)
        if membership is None or membership.municipality_id != case.municipality_id:
            raise CaseRuleError(_("The caseworker must work in this municipality."), "assigned_to")
    on_case = set(case.agencies.values_list("pk", flat=True))
    agencies = [a for a in agencies if a.pk != case.lead_agency_id]
    for agency in agencies:
        if agency.pk not in on_case:
            # Sharing with a new agency needs the person's consent naming it.
            sharing_basis(case, agency, field="agencies")
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
    case.agencies.set(agencies, through_defaults={"municipality_id": case.municipality_id})
    case_event_append(
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
    audit_change(user, AuditEvent.Action.UPDATE, case, case_id=case.pk, person_id=case.person_id)
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
    require_role(user, *CASE_ROLES)
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
    if (
        case.status == S.PLANNING
        and to_status == S.SUPPORT
        and not case.plans.filter(status=SupportPlan.Status.DECIDED).exists()
    ):
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
    case_event_append(case, user, "status_changed", before=previous, after=to_status, reason=reason)
    audit_change(
        user,
        AuditEvent.Action.UPDATE,
        case,
        case_id=case.pk,
        person_id=case.person_id,
        status=[previous, to_status],
    )
    return case


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
    require_role(user, *CASE_ROLES)
    agencies = list(agencies)
    same_municipality(person.municipality_id, case, *agencies)
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
        case_event_append(
            case, user, "consent_recorded", consent=consent.pk, given_on=given_on.isoformat()
        )
    audit_change(
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
    require_role(user, *CASE_ROLES)
    if consent.withdrawn_on is not None:
        raise CaseRuleError(_("This consent has already been withdrawn."))
    if withdrawn_on < consent.given_on:
        raise CaseRuleError(_("Consent cannot be withdrawn before it was given."), "withdrawn_on")
    if withdrawn_on > timezone.localdate():
        raise CaseRuleError(_("The withdrawal cannot be dated in the future."), "withdrawn_on")
    consent.withdrawn_on = withdrawn_on
    consent.withdrawal_note = note
    consent.save(update_fields=["withdrawn_on", "withdrawal_note"])
    # Every case the consent covered records it, so each agency on them sees it.
    covered = (
        [consent.case]
        if consent.case_id
        else Case.objects.filter(person_id=consent.person_id, deleted_at__isnull=True)
    )
    for case in covered:
        case_event_append(
            case, user, "consent_withdrawn", consent=consent.pk, on=withdrawn_on.isoformat()
        )
    audit_change(
        user,
        AuditEvent.Action.UPDATE,
        consent,
        person_id=consent.person_id,
        case_id=consent.case_id,
        withdrawn_on=withdrawn_on.isoformat(),
    )
    return consent


def valid_consent_for(case: Case, day: datetime.date) -> Consent | None:
    """The person's own consent (本人同意, the only legal basis a 重層的支援会議 takes) that
    covers this case and the multi-agency support meeting on ``day``. One query."""
    return (
        meeting_consents(day)
        .filter(person_id=case.person_id)
        .filter(Q(case__isnull=True) | Q(case_id=case.pk))
        .order_by("-given_on", "-pk")
        .first()
    )


MASTER_MODELS = {
    "category": IssueCategory,
    "route": ContactRoute,
    "method": ConsultationMethod,
}


@transaction.atomic
def master_data_add(
    *, user: User, municipality: Municipality, kind: str, name: str, code: str = "", field: str = ""
) -> Any:
    """A municipality's own category, route or method beside the national defaults.
    Codes (what the API and the exports name an entry by) never change once used, so
    statistics stay comparable; without one given, ``own_<n>`` is made."""
    require_role(user, Role.MANAGER)
    model = MASTER_MODELS.get(kind)
    if model is None:
        raise CaseRuleError(_("Unknown list."), "kind")
    code, name = code.strip(), name.strip()
    in_use = model.objects.filter(Q(municipality__isnull=True) | Q(municipality=municipality))
    if not code:
        taken = set(in_use.values_list("code", flat=True))
        code = next(f"own_{n}" for n in range(1, len(taken) + 2) if f"own_{n}" not in taken)
    elif in_use.filter(code=code).exists():
        raise CaseRuleError(_("This code is already in use."), "code")
    if model is IssueCategory and field not in Field.values:
        raise CaseRuleError(_("Choose the field of the issue."), "field")
    extra = {"field": field} if model is IssueCategory else {}
    entry = model.objects.create(
        municipality=municipality, code=code, name=name, sort_order=1000, **extra
    )
    audit_write(
        user=user, municipality_id=municipality.pk, action=AuditEvent.Action.CREATE, obj=entry
    )
    return entry
