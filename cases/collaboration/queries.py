"""Reads of 多機関協働: plans, meetings, agencies and referrals. The receiving program
of a referral sees the referral (with the person's name and contact), not the case."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from cases.assessment.domains import DOMAIN_KEYS
from cases.core.queries import (
    can_see_cases,
    case_condition,
    case_condition_by_row,
    case_roles_only,
    case_scoped,
    sees_whole_municipality,
    visible_case_ids,
)
from cases.models import (
    Assessment,
    Case,
    Meeting,
    MeetingAttendee,
    MeetingCase,
    PlanEvaluation,
    Referral,
    SupportAgency,
    SupportPlan,
)
from cases.registry import program_of_role
from municipalities.models import User
from municipalities.scoping import active_membership, get_for_user_or_404


def referrals_visible_to(user: Any, *, by_row: bool = False) -> QuerySet[Referral]:
    """The referrals the user may see. ``by_row``: an agency's staff are checked row by
    row against the referral's case (``case_condition_by_row``), for a query that reads
    a few of the municipality's referrals rather than lists them all."""
    qs = (
        Referral.objects.for_user(user)
        .filter(case__deleted_at__isnull=True)
        .select_related("case", "case__person", "to_agency", "from_agency", "created_by")
    )
    if sees_whole_municipality(user):
        return qs
    membership = active_membership(user)
    if can_see_cases(user):
        # An agency's staff: the referrals of the cases they see, and those to or from
        # their agency (a referral to it shows the person and the reason, not the case).
        org = membership.organisation_id
        cases = case_condition_by_row(user, "case") if by_row else case_condition(user, "case")
        return qs.filter(
            cases | Q(to_agency__organisation_id=org) | Q(from_agency__organisation_id=org)
        )
    program = program_of_role(membership.role) if membership and not user.is_system_admin else None
    if program is None:
        return qs.none()
    # Staff of a program see the referrals to and from it (``cases.registry``).
    return qs.filter(Q(to_program=program) | Q(from_program=program))


def referral_get_for_user(user: Any, referral_id: int) -> Referral:
    return get_for_user_or_404(referrals_visible_to(user), user, pk=referral_id)


def referral_inbox(user: Any, program: str) -> list[Referral]:
    return list(
        referrals_visible_to(user)
        .filter(to_program=program)
        .order_by(
            # Unanswered first, then by deadline.
            "-status",
            "acknowledge_by",
        )
    )


def plan_get_for_user(user: Any, plan_id: int) -> SupportPlan:
    qs = case_scoped(user, SupportPlan.objects.filter(case__deleted_at__isnull=True))
    qs = qs.select_related("case", "case__person", "decided_at_meeting", "lead_agency")
    qs = qs.prefetch_related(
        "actions__agency",
        "members__person",
        Prefetch(
            "evaluations",
            queryset=PlanEvaluation.objects.select_related(
                "review__meeting", "recorded_by"
            ).order_by("-evaluated_on", "pk"),
        ),
    )
    return get_for_user_or_404(qs, user, pk=plan_id)


@dataclass
class EvaluationSheet:
    """One 評価シート of a plan: the goals evaluated together — on the same day, by the
    same person, for the same review at a meeting (or none) — named by its first row."""

    evaluated_on: datetime.date
    recorded_by: User
    review: MeetingCase | None
    rows: list[PlanEvaluation] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.rows[0].pk


def evaluation_sheets(plan: SupportPlan) -> list[EvaluationSheet]:
    """The plan's evaluations (as ``plan_get_for_user`` prefetched them, newest first)
    gathered into their sheets."""
    sheets: dict[tuple, EvaluationSheet] = {}
    for row in plan.evaluations.all():
        key = (row.evaluated_on, row.recorded_by_id, row.review_id)
        if key not in sheets:
            sheets[key] = EvaluationSheet(row.evaluated_on, row.recorded_by, row.review)
        sheets[key].rows.append(row)
    return list(sheets.values())


def evaluation_sheet_get(plan: SupportPlan, evaluation_id: int) -> EvaluationSheet:
    """The sheet of ``plan`` holding the evaluation ``evaluation_id``; 404 if the plan
    (already read through the scoped layer) has none."""
    for sheet in evaluation_sheets(plan):
        if any(row.pk == evaluation_id for row in sheet.rows):
            return sheet
    raise Http404


def plan_start_from_assessment(case: Case) -> dict[str, str]:
    """What a first plan starts from (the national form's 本人の意向 and 課題 come from the
    assessment): the latest assessment's wishes, and the 課題 written in its domains, one
    a line in the sheet's order. Empty when the case has no assessment. One query; the
    case was read through the scoped layer."""
    latest = (
        Assessment.objects.filter(case=case, municipality_id=case.municipality_id)
        .order_by("-version")
        .values("wishes", "domains")
        .first()
    )
    if latest is None:
        return {}
    domains = latest["domains"] or {}
    issues = [
        line.strip()
        for key in DOMAIN_KEYS
        for line in str((domains.get(key) or {}).get("issues", "")).splitlines()
        if line.strip()
    ]
    return {"wishes": latest["wishes"], "issues": "\n".join(issues)}


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    """The office sees every meeting; an agency's staff those their agency attended or
    where a case they see was discussed."""
    qs = case_roles_only(user, Meeting.objects.all())
    if not can_see_cases(user) or sees_whole_municipality(user):
        return qs
    org = active_membership(user).organisation_id
    discussed = MeetingCase.objects.filter(case_id__in=visible_case_ids(user)).values("meeting_id")
    attended = MeetingAttendee.objects.filter(agency__organisation_id=org).values("meeting_id")
    return qs.filter(Q(pk__in=discussed) | Q(pk__in=attended))


def meeting_get_for_user(user: Any, meeting_id: int) -> Meeting:
    qs = meetings_visible_to(user).prefetch_related(
        Prefetch("attendees", queryset=MeetingAttendee.objects.select_related("agency")),
        Prefetch(
            "case_items",
            # Only the cases the reader may see are listed.
            queryset=MeetingCase.objects.filter(case_condition(user, "case")).select_related(
                "case", "case__person", "plan", "lead_agency"
            ),
        ),
    )
    return get_for_user_or_404(qs, user, pk=meeting_id)


def agencies_visible_to(user: Any) -> QuerySet[SupportAgency]:
    """Agencies are not personal data: every staff member of the municipality sees them."""
    return (
        SupportAgency.objects.for_user(user).filter(is_active=True).select_related("organisation")
    )
