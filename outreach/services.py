"""Write operations of outreach: register a target, log a contact, move a stage, name
the person, hand over to a case, take up a community concern. Each is one transaction,
audited, and refused with a Japanese message when the input does not hold."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core import CASE_ROLES, case_event_append, case_open, person_create
from cases.engine import resolve_subject
from cases.models import Case, ContactRoute, Meeting, Person, SupportAgency
from municipalities.audit import audit_change
from municipalities.models import AuditEvent, Membership, Municipality, User
from municipalities.scoping import active_membership, require_role, same_municipality
from outreach.models import (
    ACTIVE_STAGES,
    Contact,
    OutreachTarget,
    Stage,
    StageChange,
)
from outreach.queries import OUTREACH_ROLES
from portal.anonymise import blank_text
from portal.errors import CaseRuleError

SUBJECT = "outreach"
# The stages a worker may move a target to by hand; つなぎ is the hand-over's.
MANUAL_STAGES = (Stage.FOUND, Stage.CONTACT, Stage.RELATIONSHIP, Stage.CONSENT, Stage.ENDED)


def _not_future(day: datetime.date, field: str) -> None:
    if day > timezone.localdate():
        raise CaseRuleError(_("The date cannot be in the future."), field)


def _check_worker(municipality_id: int, worker: User) -> None:
    membership = active_membership(worker)
    if (
        membership is None
        or membership.municipality_id != municipality_id
        or membership.role not in OUTREACH_ROLES
    ):
        raise CaseRuleError(
            _("The worker responsible must be outreach staff of this municipality."), "worker"
        )


def _check_basis(municipality_id: int, meeting: Meeting | None) -> None:
    if meeting is None:
        return
    same_municipality(municipality_id, meeting)
    if meeting.kind != Meeting.Kind.SUPPORT:
        raise CaseRuleError(
            _("The basis for outreach without consent must be a support meeting (支援会議)."),
            "basis_meeting",
        )


def _lock(target: OutreachTarget) -> OutreachTarget:
    return OutreachTarget.objects.select_for_update().get(pk=target.pk)


def _require_active(target: OutreachTarget) -> None:
    if target.stage not in ACTIVE_STAGES:
        raise CaseRuleError(_("The outreach has ended: nothing more can be recorded."))


def _record_stage(
    user: User, target: OutreachTarget, to_stage: str, on: datetime.date, reason: str
) -> StageChange:
    change = StageChange.objects.create(
        municipality_id=target.municipality_id,
        target=target,
        from_stage=target.stage,
        to_stage=to_stage,
        changed_on=on,
        reason=reason,
        changed_by=user,
    )
    target.stage = to_stage
    target.stage_since = on
    if to_stage in (Stage.HANDED_OVER, Stage.ENDED):
        target.closed_on = on
        target.next_contact_on = None
    return change


@transaction.atomic
def target_create(
    *,
    user: User,
    municipality: Municipality,
    description: str,
    source: str,
    worker: User,
    found_on: datetime.date,
    cadence_days: int = 14,
    area: str = "",
    source_agency: SupportAgency | None = None,
    source_note: str = "",
    basis_meeting: Meeting | None = None,
    person: Person | None = None,
    source_concern_id: int | None = None,
) -> OutreachTarget:
    """Register someone the team will try to reach (把握)."""
    require_role(user, *OUTREACH_ROLES, *CASE_ROLES)
    _not_future(found_on, "found_on")
    same_municipality(municipality.pk, source_agency, person)
    _check_worker(municipality.pk, worker)
    _check_basis(municipality.pk, basis_meeting)
    if not description.strip():
        raise CaseRuleError(_("Describe whom the team is trying to reach."), "description")
    if source == OutreachTarget.Source.AGENCY and source_agency is None:
        raise CaseRuleError(_("Choose the agency that told the team."), "source_agency")
    if not 1 <= cadence_days <= 180:
        raise CaseRuleError(_("The rhythm must be between 1 and 180 days."), "cadence_days")
    target = OutreachTarget.objects.create(
        municipality=municipality,
        description=description.strip(),
        area=area,
        source=source,
        source_agency=source_agency,
        source_note=source_note,
        source_concern_id=source_concern_id,
        basis_meeting=basis_meeting,
        person=person,
        worker=worker,
        stage=Stage.FOUND,
        stage_since=found_on,
        found_on=found_on,
        cadence_days=cadence_days,
        next_contact_on=found_on + datetime.timedelta(days=cadence_days),
        created_by=user,
    )
    StageChange.objects.create(
        municipality=municipality,
        target=target,
        from_stage="",
        to_stage=Stage.FOUND,
        changed_on=found_on,
        reason=str(target.get_source_display()),
        changed_by=user,
    )
    audit_change(user, AuditEvent.Action.CREATE, target, person_id=target.person_id)
    return target


def _after_contact(target: OutreachTarget) -> None:
    """Keep the target's summary of its contacts (read by the register and the cadence
    rules) in step: the newest contact's dates, and how many of the newest in a row
    reached nobody — one read of the newest contacts."""
    newest = list(
        Contact.objects.filter(target=target)
        .order_by("-contacted_on", "-pk")
        .values_list("contacted_on", "next_planned_on", "outcome")[:50]
    )
    contacted_on, next_planned_on, _outcome = newest[0]
    target.last_contact_on = contacted_on
    target.next_contact_on = next_planned_on or contacted_on + datetime.timedelta(
        days=target.cadence_days
    )
    failed = 0
    for _day, _next, outcome in newest:
        if outcome not in Contact.FAILED:
            break
        failed += 1
    target.failed_in_a_row = failed


@transaction.atomic
def contact_log(
    *,
    user: User,
    target: OutreachTarget,
    contacted_on: datetime.date,
    method: str,
    outcome: str,
    observed: str = "",
    next_planned_on: datetime.date | None = None,
) -> Contact:
    """One attempt to reach the person. A first contact that reached them moves a target
    from 把握 to 接触; the cadence flags of the target are re-checked at once."""
    require_role(user, *OUTREACH_ROLES)
    target = _lock(target)
    _require_active(target)
    _not_future(contacted_on, "contacted_on")
    if contacted_on < target.found_on:
        raise CaseRuleError(_("The contact cannot be before the target was found."), "contacted_on")
    if next_planned_on is not None and next_planned_on <= contacted_on:
        raise CaseRuleError(_("The next contact must be after this one."), "next_planned_on")
    contact = Contact.objects.create(
        municipality_id=target.municipality_id,
        target=target,
        contacted_on=contacted_on,
        method=method,
        outcome=outcome,
        observed=observed,
        next_planned_on=next_planned_on,
        worker=user,
    )
    _after_contact(target)
    if target.stage == Stage.FOUND and not contact.failed:
        _record_stage(user, target, Stage.CONTACT, contacted_on, str(contact.get_outcome_display()))
    target.save()
    if target.case_id is not None:
        case_event_append(target.case, user, "outreach_contact", contact=contact.pk)
    audit_change(
        user, AuditEvent.Action.CREATE, contact, person_id=target.person_id, case_id=target.case_id
    )
    transaction.on_commit(lambda: recheck(target.pk))
    return contact


@transaction.atomic
def stage_change(
    *, user: User, target: OutreachTarget, to_stage: str, on: datetime.date, reason: str
) -> StageChange:
    require_role(user, *OUTREACH_ROLES)
    target = _lock(target)
    _require_active(target)
    _not_future(on, "on")
    if to_stage not in MANUAL_STAGES:
        raise CaseRuleError(_("Hand the target over from its page to open a case."), "to_stage")
    if to_stage == target.stage:
        raise CaseRuleError(_("The target is already at this stage."), "to_stage")
    if on < target.stage_since:
        raise CaseRuleError(_("The change cannot be dated before the current stage began."), "on")
    if not reason.strip():
        raise CaseRuleError(_("Say why the stage changes."), "reason")
    change = _record_stage(user, target, to_stage, on, reason.strip())
    target.save()
    audit_change(
        user,
        AuditEvent.Action.UPDATE,
        target,
        person_id=target.person_id,
        stage=to_stage,
        reason=reason.strip(),
    )
    transaction.on_commit(lambda: recheck(target.pk))
    return change


@transaction.atomic
def target_name_person(
    *, user: User, target: OutreachTarget, person: Person | None = None, **person_fields: Any
) -> OutreachTarget:
    """The person is known now: link an existing record or record them."""
    require_role(user, *OUTREACH_ROLES)
    target = _lock(target)
    _require_active(target)
    if target.person_id is not None:
        raise CaseRuleError(_("The person is already recorded for this target."))
    if person is None:
        person = person_create(user=user, municipality=target.municipality, **person_fields)
    same_municipality(target.municipality_id, person)
    target.person = person
    target.save(update_fields=["person"])
    audit_change(user, AuditEvent.Action.UPDATE, target, person_id=person.pk, person=person.pk)
    return target


@transaction.atomic
def hand_over(
    *,
    user: User,
    target: OutreachTarget,
    lead_agency: SupportAgency | None = None,
    case: Case | None = None,
    note: str = "",
) -> Case:
    """つなぎ: at 同意, open the person's case (or link the one they have) with the
    outreach history carried over, and close the target as handed over."""
    require_role(user, *OUTREACH_ROLES)
    target = _lock(target)
    if target.stage != Stage.CONSENT:
        raise CaseRuleError(_("Only a target who has consented can be handed over."))
    if target.person_id is None:
        raise CaseRuleError(_("Record the person first: a case needs a name."))
    today = timezone.localdate()
    if case is None:
        same_municipality(target.municipality_id, lead_agency)
        case = case_open(
            user=user,
            person=target.person,
            route=ContactRoute.objects.get(municipality__isnull=True, code="outreach"),
            lead_agency=lead_agency,
            opened_on=today,
        )
    else:
        same_municipality(target.municipality_id, case)
        if case.person_id != target.person_id:
            raise CaseRuleError(_("The case is not the person's."), "case")
        if not case.is_open:
            raise CaseRuleError(_("The case is closed: reopen it first or open a new case."))
    target.case = case
    _record_stage(user, target, Stage.HANDED_OVER, today, note or _("Handed over to a case."))
    target.save()
    case_event_append(
        case,
        user,
        "outreach_handed_over",
        target=target.pk,
        found_on=target.found_on.isoformat(),
        contacts=target.contacts.count(),
    )
    audit_change(
        user, AuditEvent.Action.UPDATE, target, case_id=case.pk, person_id=target.person_id
    )
    resolve_subject(target.municipality_id, SUBJECT, target.pk, _("Handed over to a case."))
    return case


def recheck(target_id: int, as_of: datetime.date | None = None) -> int:
    """Resolve the target's cadence flags whose condition no longer holds (a contact was
    logged, the stage moved): the worker sees the flag go at once, not at the next scan.
    New flags are raised by the scan."""
    from cases.engine import rule_settings
    from cases.models import Flag
    from cases.registry import get_rule

    target = OutreachTarget.objects.filter(pk=target_id).first()
    if target is None:
        return 0
    as_of = as_of or timezone.localdate()
    settings = rule_settings(target.municipality_id)
    resolved = 0
    open_rules = set(
        Flag.objects.filter(
            municipality_id=target.municipality_id,
            subject_type=SUBJECT,
            subject_id=target.pk,
            resolved_at__isnull=True,
        ).values_list("rule", flat=True)
    )
    for code in open_rules:
        rule = get_rule(code)
        if rule is None:
            continue
        _enabled, params = settings[code]
        if (
            not rule.query(target.municipality_id, as_of, params)
            .filter(flag_subject=target.pk)
            .exists()
        ):
            resolved += Flag.objects.filter(
                municipality_id=target.municipality_id,
                rule=code,
                subject_type=SUBJECT,
                subject_id=target.pk,
                resolved_at__isnull=True,
            ).update(resolved_at=timezone.now(), resolution=_("The condition no longer holds."))
    return resolved


@transaction.atomic
def target_from_concern(
    *, user: User, concern: Any, worker: User, cadence_days: int = 14
) -> OutreachTarget:
    """A 気づき from the community becomes someone to reach instead of a case."""
    from community.models import Concern

    require_role(user, *OUTREACH_ROLES, *CASE_ROLES)
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if concern.status != Concern.Status.RECEIVED:
        raise CaseRuleError(_("This concern has already been handled."))
    description = " ".join(
        part for part in (concern.subject_name, concern.subject_area, concern.observation) if part
    )[:200]
    source = (
        OutreachTarget.Source.MINSEI
        if concern.reporter_kind == Concern.Reporter.MINSEI
        else OutreachTarget.Source.CONCERN
    )
    target = target_create(
        user=user,
        municipality=concern.municipality,
        description=description,
        area=concern.subject_area[:100],
        source=source,
        source_note=str(concern.get_reporter_kind_display()),
        source_concern_id=concern.pk,
        worker=worker,
        found_on=timezone.localdate(),
        cadence_days=cadence_days,
        person=concern.person,
    )
    concern.status = Concern.Status.OUTREACH
    concern.handled_by = user
    concern.handled_at = timezone.now()
    concern.save(update_fields=["status", "handled_by", "handled_at"])
    resolve_subject(concern.municipality_id, "concern", concern.pk, _("Taken up by outreach."))
    audit_change(user, AuditEvent.Action.UPDATE, concern, person_id=concern.person_id)
    return target


def worker_choices(municipality_id: int) -> Any:
    """The municipality's active outreach workers and its office, for the worker field."""
    members = Membership.objects.filter(
        municipality_id=municipality_id, is_active=True, role__in=OUTREACH_ROLES
    )
    return User.objects.filter(pk__in=members.values("user_id")).order_by("pk")


def anonymise_for_retention(
    *, municipality_id: int, case_ids: list[int], person_ids: list[int], marker: str
) -> dict[str, int]:
    """Blank what the team wrote about persons being anonymised (registered with
    ``cases.registry``; called inside the anonymisation's transaction)."""
    targets = OutreachTarget.objects.filter(municipality_id=municipality_id).filter(
        Q(case_id__in=case_ids) | Q(person_id__in=person_ids)
    )
    return {
        "outreach_target": blank_text(targets, ["description", "area", "source_note"], marker),
        "outreach_contact": blank_text(
            Contact.objects.filter(target__in=targets), ["observed"], marker
        ),
        "outreach_stage": blank_text(
            StageChange.objects.filter(target__in=targets), ["reason"], marker
        ),
    }
