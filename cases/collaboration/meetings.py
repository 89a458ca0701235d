"""Writes of the 重層的支援会議 and 支援会議: the agenda of cases, a decision for each case
(支援決定, 評価 with the next review date, 多機関協働の終結 with the lead agency that carries
on, 中断, 継続審議), the attendees checked against consent, the minutes."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core.consent import cases_with_meeting_consent, covered_pairs
from cases.core.queries import CASE_ROLES
from cases.core.services import case_event_append
from cases.core.sharing import case_lead_hand_over
from cases.models import (
    Case,
    Meeting,
    MeetingAttendee,
    MeetingCase,
    SupportAgency,
    SupportPlan,
)
from municipalities.audit import audit_change
from municipalities.models import AuditEvent, Municipality, User
from municipalities.scoping import require_role, same_municipality
from portal.errors import CaseRuleError


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
    # 評価: the plan's next review date; 多機関協働の終結: the lead agency carrying on.
    next_review_on: datetime.date | None = None
    lead_agency: SupportAgency | None = None


PLAN_DECISIONS = {
    MeetingCase.Decision.DECIDE_PLAN,
    MeetingCase.Decision.REVIEWED,
    MeetingCase.Decision.CLOSE,
    MeetingCase.Decision.SUSPEND,
}

# The status the plan a decision applies to must have: 支援決定 approves a draft; 評価 and
# 中断 act on the plan in force. 終結 (of 多機関協働) closes every plan of the case and
# needs none; 協議 and 継続審議 change no plan.
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
        _check_decision_details(item, held_on)

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
            next_review_on=item.next_review_on
            if item.decision == MeetingCase.Decision.REVIEWED
            else None,
            lead_agency=item.lead_agency if item.decision == MeetingCase.Decision.CLOSE else None,
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
        same_municipality(municipality.pk, item.case, item.plan, item.lead_agency)
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


def _check_decision_details(item: MeetingItemData, held_on: datetime.date) -> None:
    """評価 sets the next review date, after the meeting and not in the past; 終結 of
    多機関協働 names the lead agency (主担当) that carries on."""
    D = MeetingCase.Decision
    number = item.case.number
    if item.decision == D.REVIEWED:
        if item.next_review_on is None:
            raise CaseRuleError(
                _("Give the next review date of the plan (case %(case)s).") % {"case": number},
                "next_review_on",
            )
        if item.next_review_on <= max(held_on, timezone.localdate()):
            raise CaseRuleError(
                _(
                    "The next review date must be after the meeting and not in the past "
                    "(case %(case)s)."
                )
                % {"case": number},
                "next_review_on",
            )
    if item.decision == D.CLOSE:
        if item.lead_agency is None:
            raise CaseRuleError(
                _(
                    "Ending multi-agency collaboration needs the lead agency that carries on "
                    "(case %(case)s)."
                )
                % {"case": number},
                "lead_agency",
            )
        if not item.lead_agency.is_active:
            raise CaseRuleError(_("This agency is no longer active."), "lead_agency")


def _apply_decision(user: User, meeting: Meeting, item: MeetingItemData) -> None:
    plan = item.plan
    D = MeetingCase.Decision
    if item.decision == D.REVIEWED:
        # 評価: the review is recorded and the plan's next review moves to the date given
        # (the "plan review due" flag closes when the engine re-evaluates the case).
        previous = plan.review_on
        plan.review_on = item.next_review_on
        plan.decision_note = item.note
        plan.save(update_fields=["review_on", "decision_note"])
        case_event_append(
            item.case,
            user,
            "plan_reviewed",
            plan=plan.pk,
            meeting=meeting.pk,
            review_on=[previous.isoformat(), plan.review_on.isoformat()],
        )
        audit_change(
            user,
            AuditEvent.Action.UPDATE,
            plan,
            case_id=item.case.pk,
            meeting=meeting.pk,
            review_on=plan.review_on.isoformat(),
        )
    elif item.decision == D.CLOSE:
        _end_collaboration(user, meeting, item)
    elif item.decision == D.DECIDE_PLAN:
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


def _end_collaboration(user: User, meeting: Meeting, item: MeetingItemData) -> None:
    """多機関協働の終結: the plans of the collaboration end, the lead agency (主担当)
    carries on and the case stays open (its closure, and the retention period it starts,
    is the separate action of closing the case)."""
    case = item.case
    case.plans.filter(status__in=[SupportPlan.Status.DECIDED, SupportPlan.Status.DRAFT]).update(
        status=SupportPlan.Status.CLOSED
    )
    if case.lead_agency_id != item.lead_agency.pk:
        # A 重層的支援会議 takes up only consented cases: the person's consent naming the
        # agency is the basis for sharing the case with its new lead.
        case_lead_hand_over(user=user, case=case, agency=item.lead_agency)
    case_event_append(
        case, user, "multiagency_ended", meeting=meeting.pk, lead_agency=item.lead_agency.pk
    )
    audit_change(
        user,
        AuditEvent.Action.UPDATE,
        case,
        case_id=case.pk,
        person_id=case.person_id,
        multiagency_ended=meeting.pk,
        lead_agency=item.lead_agency.pk,
    )
