"""Reads of 多機関協働: plans, meetings, agencies and referrals. The receiving program
of a referral sees the referral (with the person's name and contact), not the case."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from cases.core.queries import can_see_cases, case_roles_only
from cases.models import (
    Meeting,
    MeetingAttendee,
    MeetingCase,
    Referral,
    SupportAgency,
    SupportPlan,
)
from cases.registry import program_of_role
from municipalities.scoping import active_membership, get_for_user_or_404


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    qs = (
        Referral.objects.for_user(user)
        .filter(case__deleted_at__isnull=True)
        .select_related("case", "case__person", "to_agency", "from_agency", "created_by")
    )
    if can_see_cases(user):
        return qs
    membership = active_membership(user)
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
    qs = case_roles_only(user, SupportPlan.objects.filter(case__deleted_at__isnull=True))
    qs = qs.select_related("case", "case__person", "decided_at_meeting", "lead_agency")
    return get_for_user_or_404(qs.prefetch_related("actions__agency"), user, pk=plan_id)


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    return case_roles_only(user, Meeting.objects.all())


def meeting_get_for_user(user: Any, meeting_id: int) -> Meeting:
    qs = meetings_visible_to(user).prefetch_related(
        Prefetch("attendees", queryset=MeetingAttendee.objects.select_related("agency")),
        Prefetch(
            "case_items",
            queryset=MeetingCase.objects.select_related("case", "case__person", "plan"),
        ),
    )
    return get_for_user_or_404(qs, user, pk=meeting_id)


def agencies_visible_to(user: Any) -> QuerySet[SupportAgency]:
    """Agencies are not personal data: every staff member of the municipality sees them."""
    return SupportAgency.objects.for_user(user).filter(is_active=True)
