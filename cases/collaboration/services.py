"""Writes of 多機関協働: support plans, meetings and their decisions, referrals between
programs and agencies, and the register of agencies."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core.consent import (
    agency_on_case,
    cases_with_meeting_consent,
    covered_pairs,
    sharing_basis,
)
from cases.core.queries import CASE_ROLES, OFFICE_ROLES
from cases.core.services import case_change_status, case_event_append
from cases.models import (
    Case,
    Meeting,
    MeetingAttendee,
    MeetingCase,
    PlanAction,
    Referral,
    SupportAgency,
    SupportPlan,
)
from cases.programs import AGENCY
from cases.registry import get_program, receiving_roles
from municipalities.audit import audit_change
from municipalities.models import AuditEvent, Municipality, Organisation, User
from municipalities.scoping import active_membership, require_role, same_municipality
from portal.errors import CaseRuleError

REFERRAL_ACKNOWLEDGE_DAYS = 3


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
    require_role(user, *CASE_ROLES)
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
    same_municipality(case.municipality_id, lead_agency, *(a for a, _t in actions))
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
    case_event_append(case, user, "plan_created", plan=plan.pk, version=plan.version)
    audit_change(user, AuditEvent.Action.CREATE, plan, case_id=case.pk, person_id=case.person_id)
    return plan


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

# The status the plan a decision applies to must have: 支援決定 approves a draft; 評価 and
# 中断 act on the plan in force. 終結 closes every plan of the case and needs none.
PLAN_STATUS_FOR_DECISION = {
    MeetingCase.Decision.DECIDE_PLAN: SupportPlan.Status.DRAFT,
    MeetingCase.Decision.REVIEWED: SupportPlan.Status.DECIDED,
    MeetingCase.Decision.SUSPEND: SupportPlan.Status.DECIDED,
}


def plan_for_decision(case: Case, decision: str) -> SupportPlan | None:
    """The plan of ``case`` that a meeting's ``decision`` applies to when the caller does
    not name one: the newest draft to approve, the decided plan to review or suspend."""
    status = PLAN_STATUS_FOR_DECISION.get(decision)
    if status is None:
        return None
    return case.plans.filter(status=status).order_by("-version").first()


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
    require_role(user, *CASE_ROLES)
    if kind not in Meeting.Kind.values:
        raise CaseRuleError(_("Unknown kind of meeting."), "kind")
    if held_on > timezone.localdate():
        raise CaseRuleError(_("A meeting cannot be recorded before it is held."), "held_on")
    attendees = [a for a in attendees if a.name.strip()]
    _check_agenda(municipality, attendees, items)
    if kind == Meeting.Kind.SUPPORT:
        _check_support_meeting(attendees, items)
    else:
        _check_consent(items, held_on)
        _check_attendees_covered(attendees, items, held_on)
    for item in items:
        _check_plan_of_decision(item)

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
        case_event_append(
            item.case,
            user,
            "meeting",
            meeting=meeting.pk,
            meeting_kind=kind,
            decision=item.decision,
        )
    audit_change(user, AuditEvent.Action.CREATE, meeting, cases=[i.case.pk for i in items])
    return meeting


def _check_agenda(
    municipality: Municipality, attendees: Sequence[AttendeeData], items: Sequence[MeetingItemData]
) -> None:
    """Someone attended, each case is taken up once, everything is of the municipality."""
    if not attendees:
        raise CaseRuleError(_("Record who attended."), "attendees")
    if not items:
        raise CaseRuleError(_("Choose at least one case."), "cases")
    if len({item.case.pk for item in items}) < len(items):
        raise CaseRuleError(_("Each case can be taken up only once per meeting."), "cases")
    for item in items:
        same_municipality(municipality.pk, item.case, item.plan)
    same_municipality(municipality.pk, *(a.agency for a in attendees))


def _check_support_meeting(
    attendees: Sequence[AttendeeData], items: Sequence[MeetingItemData]
) -> None:
    """支援会議 (art. 106-6): every attendee bound to secrecy; no plan decided."""
    missing = [a.name for a in attendees if not a.secrecy_acknowledged]
    if missing:
        raise CaseRuleError(
            _("Every attendee of a support meeting must acknowledge the duty of secrecy: %(names)s")
            % {"names": "、".join(missing)},
            "attendees",
        )
    if any(item.decision in PLAN_DECISIONS for item in items):
        raise CaseRuleError(
            _("Plans are decided, reviewed and closed only at a multi-agency support meeting."),
            "cases",
        )


def _check_consent(items: Sequence[MeetingItemData], held_on: datetime.date) -> None:
    """重層的支援会議: every case's person has a valid consent covering it on the day."""
    covered = cases_with_meeting_consent([item.case for item in items], held_on)
    without = [item.case for item in items if item.case.pk not in covered]
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


def _check_attendees_covered(
    attendees: Sequence[AttendeeData], items: Sequence[MeetingItemData], held_on: datetime.date
) -> None:
    """重層的支援会議: an agency attending hears every case on the agenda, so each case's
    consent must name it (or it is already on the case)."""
    agencies = [a.agency for a in attendees if a.agency is not None]
    covered = covered_pairs([item.case for item in items], agencies, held_on)
    missing = [
        f"{agency.name}（{item.case.number}）"
        for agency in agencies
        for item in items
        if (item.case.pk, agency.pk) not in covered
    ]
    if missing:
        raise CaseRuleError(
            _(
                "The person's consent does not name these attending agencies: %(missing)s. "
                "Record a consent naming them, leave them out of this case, or discuss it "
                "at a support meeting (art. 106-6) instead."
            )
            % {"missing": "、".join(missing)},
            "attendees",
        )


def _check_plan_of_decision(item: MeetingItemData) -> None:
    """The decision's plan is of the case and has the status the decision needs."""
    if item.plan is not None and item.plan.case_id != item.case.pk:
        raise CaseRuleError(_("The plan belongs to another case."), "cases")
    required = PLAN_STATUS_FOR_DECISION.get(item.decision)
    if required is None or (item.plan is not None and item.plan.status == required):
        return
    if required == SupportPlan.Status.DRAFT:
        raise CaseRuleError(
            _("Only a draft plan can be approved (case %(case)s).") % {"case": item.case.number},
            "cases",
        )
    raise CaseRuleError(
        _("Only a decided plan can be reviewed or suspended (case %(case)s).")
        % {"case": item.case.number},
        "cases",
    )


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
    if get_program(from_program) is None or get_program(to_program) is None:
        raise CaseRuleError(_("Unknown program."), "to_program")
    if from_program == to_program and to_program != AGENCY:
        raise CaseRuleError(_("A referral goes to another program."), "to_program")
    if to_program == AGENCY and to_agency is None:
        raise CaseRuleError(_("Choose the receiving agency."), "to_agency")
    if not reason.strip():
        raise CaseRuleError(_("Give the reason for the referral."), "reason")
    if not case.is_open:
        raise CaseRuleError(_("A closed case cannot be referred. Reopen it first."))
    same_municipality(case.municipality_id, to_agency, from_agency)
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
    basis: dict[str, Any] = {}
    if to_agency is not None and not agency_on_case(case, to_agency):
        # A referral shows the person to the receiving agency: it needs the consent.
        basis = sharing_basis(case, to_agency, field="to_agency").as_detail()
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
    case_event_append(case, user, "referral_created", referral=referral.pk, to=to_program, **basis)
    audit_change(
        user,
        AuditEvent.Action.CREATE,
        referral,
        case_id=case.pk,
        person_id=case.person_id,
        **basis,
    )
    return referral


def referral_can_answer(referral: Referral) -> bool:
    """The receiving side can still accept or decline the referral."""
    return referral.status == Referral.Status.PROPOSED


def referral_can_complete(referral: Referral) -> bool:
    """The receiving side can mark the referral completed."""
    return referral.status == Referral.Status.ACCEPTED


def can_respond(user: User, referral: Referral) -> bool:
    """The receiving side answers: staff of the receiving program, and for a referral to
    an agency whose staff are on the portal, that agency's staff or the 重層 office."""
    membership = active_membership(user)
    if (
        membership is None
        or membership.municipality_id != referral.municipality_id
        or membership.role not in receiving_roles(referral.to_program)
    ):
        return False
    agency = referral.to_agency
    if agency is None or agency.organisation_id is None or membership.role in OFFICE_ROLES:
        return True
    return membership.organisation_id == agency.organisation_id


@transaction.atomic
def referral_respond(*, user: User, referral: Referral, accept: bool, note: str = "") -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if not can_respond(user, referral):
        raise CaseRuleError(_("Only the receiving side can answer this referral."))
    if not referral_can_answer(referral):
        raise CaseRuleError(_("This referral has already been answered."))
    if not accept and not note.strip():
        raise CaseRuleError(_("Give the reason for declining."), "note")
    referral.status = Referral.Status.ACCEPTED if accept else Referral.Status.DECLINED
    referral.responded_by = user
    referral.responded_at = timezone.now()
    referral.response_note = note.strip()
    referral.save()
    if (
        accept
        and referral.to_agency is not None
        and not agency_on_case(referral.case, referral.to_agency)
    ):
        # The agency that took the referral is on the case from now on (関係機関).
        referral.case.agencies.add(
            referral.to_agency, through_defaults={"municipality_id": referral.case.municipality_id}
        )
    case_event_append(
        referral.case, user, "referral_answered", referral=referral.pk, status=referral.status
    )
    audit_change(user, AuditEvent.Action.UPDATE, referral, case_id=referral.case_id)
    return referral


@transaction.atomic
def referral_complete(*, user: User, referral: Referral, note: str = "") -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if not can_respond(user, referral):
        raise CaseRuleError(_("Only the receiving side can answer this referral."))
    if not referral_can_complete(referral):
        raise CaseRuleError(_("Only an accepted referral can be completed."))
    referral.status = Referral.Status.COMPLETED
    referral.completed_at = timezone.now()
    if note.strip():
        referral.response_note = note.strip()
    referral.save()
    case_event_append(referral.case, user, "referral_completed", referral=referral.pk)
    audit_change(user, AuditEvent.Action.UPDATE, referral, case_id=referral.case_id)
    return referral


@transaction.atomic
def agency_create(
    *,
    user: User,
    municipality: Municipality,
    name: str,
    field: str,
    kind: str = "",
    contact: str = "",
    organisation: Organisation | None = None,
) -> SupportAgency:
    """Register an agency; with ``organisation``, that organisation's staff are its staff
    on the portal (they see the cases the agency is on)."""
    require_role(user, *CASE_ROLES)
    if SupportAgency.objects.filter(municipality=municipality, name=name.strip()).exists():
        raise CaseRuleError(_("An agency with this name already exists."), "name")
    same_municipality(municipality.pk, organisation)
    if (
        organisation is not None
        and SupportAgency.objects.filter(organisation=organisation).exists()
    ):
        raise CaseRuleError(_("This organisation already runs another agency."), "organisation")
    agency = SupportAgency.objects.create(
        municipality=municipality,
        name=name.strip(),
        field=field,
        kind=kind,
        contact=contact,
        organisation=organisation,
    )
    audit_change(
        user, AuditEvent.Action.CREATE, agency, organisation=getattr(organisation, "pk", None)
    )
    return agency
