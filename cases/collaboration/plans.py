"""Writes of the support plan (支援プラン) as the national form has it (多機関協働事業
プラン兼事業等利用申込書), its evaluation goal by goal (評価シート), and the plan a
participation assignment stems from."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core.queries import CASE_ROLES
from cases.core.services import case_event_append
from cases.models import (
    Case,
    HouseholdMember,
    MeetingCase,
    PlanAction,
    PlanEvaluation,
    SupportAgency,
    SupportPlan,
)
from municipalities.audit import audit_change
from municipalities.models import AuditEvent, User
from municipalities.scoping import require_role, same_municipality
from portal.errors import CaseRuleError


@dataclass
class PlanItems:
    """The national form's items beyond the goals, review date and roles (all optional,
    so that a plan written before them stays valid)."""

    wishes: str = ""  # 本人の意向, in the person's words
    issues: str = ""  # 課題, one per line
    long_term_goal: str = ""
    short_term_goal: str = ""
    period_from: datetime.date | None = None
    period_to: datetime.date | None = None
    members: Sequence[HouseholdMember] = field(default_factory=list)
    agreed_on: datetime.date | None = None  # 本人の同意・申込 (signature date)


def household_members(case: Case) -> list[HouseholdMember]:
    """The current members of the case's household, whom a plan may concern."""
    if case.household_id is None:
        return []
    return list(
        HouseholdMember.objects.filter(household_id=case.household_id, left_at__isnull=True)
        .select_related("person")
        .order_by("pk")
    )


def _check_form(case: Case, created_on: datetime.date, form: PlanItems) -> None:
    if form.period_from and form.period_to and form.period_to < form.period_from:
        raise CaseRuleError(_("The plan period must end after it starts."), "period_to")
    if form.agreed_on and form.agreed_on > timezone.localdate():
        raise CaseRuleError(_("The person cannot have agreed on a future date."), "agreed_on")
    allowed = {m.pk for m in household_members(case)}
    if any(m.pk not in allowed for m in form.members):
        raise CaseRuleError(
            _("A plan concerns only current members of the case's household."), "members"
        )


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
    form: PlanItems | None = None,
) -> SupportPlan:
    require_role(user, *CASE_ROLES)
    if not case.is_open:
        raise CaseRuleError(_("A closed case cannot get a new plan. Reopen it first."))
    if not goals.strip():
        raise CaseRuleError(_("Write the goals of the plan."), "goals")
    created_on = created_on or timezone.localdate()
    if review_on <= created_on:
        raise CaseRuleError(_("The review date must be after the plan's date."), "review_on")
    form = form or PlanItems()
    _check_form(case, created_on, form)
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
        wishes=form.wishes.strip(),
        issues="\n".join(line.strip() for line in form.issues.splitlines() if line.strip()),
        long_term_goal=form.long_term_goal.strip(),
        short_term_goal=form.short_term_goal.strip(),
        period_from=form.period_from or created_on,
        period_to=form.period_to,
        agreed_on=form.agreed_on,
    )
    if form.members:
        plan.members.set(form.members)
    PlanAction.objects.bulk_create(
        [
            PlanAction(municipality_id=case.municipality_id, plan=plan, agency=agency, action=text)
            for agency, text in actions
        ]
    )
    case_event_append(case, user, "plan_created", plan=plan.pk, version=plan.version)
    audit_change(user, AuditEvent.Action.CREATE, plan, case_id=case.pk, person_id=case.person_id)
    return plan


def participation_plan(case: Case) -> SupportPlan | None:
    """The case's decided plan (支援決定) that applies for 参加支援, the newest: what a
    participation assignment must stem from."""
    return (
        case.plans.filter(status=SupportPlan.Status.DECIDED, uses_participation=True)
        .order_by("-version")
        .first()
    )


def require_participation_plan(case: Case) -> SupportPlan:
    plan = participation_plan(case)
    if plan is None:
        raise CaseRuleError(
            _(
                "Case %(case)s has no support plan decided at a multi-agency support "
                "meeting that applies for participation support. Write a plan that "
                "uses participation support and have the meeting decide it first."
            )
            % {"case": case.number},
            "plan",
        )
    return plan


@dataclass
class EvaluationEntry:
    """One goal of the 評価シート: how far it was achieved and the next step."""

    goal: str
    achievement: str
    next_step: str = ""


def plan_reviews(plan: SupportPlan) -> list[MeetingCase]:
    """The 重層的支援会議's reviews (評価) of ``plan``, newest first."""
    return list(
        MeetingCase.objects.filter(plan=plan, decision=MeetingCase.Decision.REVIEWED)
        .select_related("meeting")
        .order_by("-meeting__held_on", "-pk")
    )


@transaction.atomic
def plan_evaluate(
    *,
    user: User,
    plan: SupportPlan,
    entries: Sequence[EvaluationEntry],
    review: MeetingCase | None = None,
    evaluated_on: datetime.date | None = None,
) -> list[PlanEvaluation]:
    """Record the 評価シート of a decided plan, goal by goal, attached to a meeting's
    review (評価) of the plan when given."""
    require_role(user, *CASE_ROLES)
    if plan.status not in (SupportPlan.Status.DECIDED, SupportPlan.Status.SUSPENDED):
        raise CaseRuleError(_("Only a plan in force (support decided) is evaluated."))
    evaluated_on = evaluated_on or timezone.localdate()
    if evaluated_on > timezone.localdate():
        raise CaseRuleError(_("An evaluation cannot be dated in the future."), "evaluated_on")
    entries = [e for e in entries if e.goal.strip()]
    if not entries:
        raise CaseRuleError(_("Evaluate at least one goal."), "entries")
    if any(e.achievement not in PlanEvaluation.Achievement.values for e in entries):
        raise CaseRuleError(_("Say for each goal how far it was achieved."), "entries")
    if review is not None and (
        review.plan_id != plan.pk or review.decision != MeetingCase.Decision.REVIEWED
    ):
        raise CaseRuleError(_("The review belongs to another plan."), "review")
    rows = PlanEvaluation.objects.bulk_create(
        [
            PlanEvaluation(
                municipality_id=plan.municipality_id,
                plan=plan,
                review=review,
                evaluated_on=evaluated_on,
                goal=e.goal.strip(),
                achievement=e.achievement,
                next_step=e.next_step.strip(),
                recorded_by=user,
            )
            for e in entries
        ]
    )
    case = plan.case
    case_event_append(case, user, "plan_evaluated", plan=plan.pk, goals=len(rows))
    audit_change(
        user,
        AuditEvent.Action.UPDATE,
        plan,
        case_id=case.pk,
        person_id=case.person_id,
        evaluations=[r.pk for r in rows],
    )
    return rows
