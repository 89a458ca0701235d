"""Tenant-scoped reads of participation support.

Providers and menus are not personal data: every staff member of the municipality may
read the catalogue. Who takes part in what is: coordinators and managers see it for
their municipality, caseworkers see it for the cases they can open (all of their
municipality's), community workers and system administrators see none of it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cases.collaboration import referral_get_for_user
from cases.core import Row, RowKind, TimelineEntry, case_condition, newest
from cases.models import Referral
from municipalities.models import Role
from municipalities.scoping import get_for_user_or_404, has_role
from participation.matching import Profile, Suggestion, rank_menus
from participation.models import (
    Assignment,
    FollowUp,
    Menu,
    ParticipationProfile,
    Provider,
    SessionLog,
)
from participation.program import PROGRAM as PARTICIPATION

MANAGING_ROLES = (Role.COORDINATOR, Role.MANAGER)
ASSIGNMENT_READERS = (Role.COORDINATOR, Role.MANAGER, Role.CASEWORKER)


def can_manage(user: Any) -> bool:
    return has_role(user, *MANAGING_ROLES)


def providers_visible_to(user: Any) -> QuerySet[Provider]:
    return Provider.objects.for_user(user)


def provider_get_for_user(user: Any, provider_id: int) -> Provider:
    return get_for_user_or_404(providers_visible_to(user), user, pk=provider_id)


def with_places(qs: QuerySet[Menu]) -> QuerySet[Menu]:
    """Annotate ``in_use`` (places taken) in the same query."""
    return qs.annotate(
        in_use=Count("assignments", filter=Q(assignments__status__in=Assignment.HOLDS_A_PLACE))
    )


def menus_visible_to(user: Any) -> QuerySet[Menu]:
    return with_places(Menu.objects.for_user(user).select_related("provider", "made_for"))


# What the catalogue shows of a menu (participation/templates/participation/catalogue.html):
# not its description, which can be long, nor the record it was made for.
CATALOGUE_FIELDS = (
    "name",
    "kind",
    "status",
    "made_for_id",
    "area",
    "schedule",
    "capacity",
    "accommodations",
    "provider__name",
)


def catalogue(
    user: Any,
    *,
    q: str = "",
    kind: str = "",
    area: str = "",
    accommodation: str = "",
    include_inactive: bool = False,
) -> list[Menu]:
    qs = menus_visible_to(user)
    if not include_inactive:
        qs = qs.filter(status=Menu.Status.ACTIVE)
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(description__icontains=q) | Q(provider__name__icontains=q)
        )
    if kind:
        qs = qs.filter(kind=kind)
    if area:
        qs = qs.filter(area=area)
    qs = qs.select_related(None).select_related("provider").only(*CATALOGUE_FIELDS)
    menus = list(qs.order_by("name", "pk")[:500])
    if accommodation:  # JSON containment differs between SQLite and PostgreSQL
        menus = [m for m in menus if accommodation in m.accommodations]
    return menus


def catalogue_areas(user: Any) -> list[str]:
    return list(
        Menu.objects.for_user(user)
        .exclude(area="")
        .values_list("area", flat=True)
        .distinct()
        .order_by("area")
    )


def menu_get_for_user(user: Any, menu_id: int) -> Menu:
    return get_for_user_or_404(menus_visible_to(user), user, pk=menu_id)


def menu_participants(user: Any, menu: Menu) -> list[Assignment]:
    """Who takes part: coordinators and managers of the municipality only."""
    if not can_manage(user):
        return []
    return list(
        assignments_visible_to(user).filter(menu=menu).exclude(status=Assignment.Status.ENDED)
    )


def assignments_visible_to(user: Any) -> QuerySet[Assignment]:
    if not has_role(user, *ASSIGNMENT_READERS):
        return Assignment.objects.none()
    # A caseworker of an agency: only the assignments of cases they see.
    condition = case_condition(user, "case") if has_role(user, Role.CASEWORKER) else Q()
    return (
        Assignment.objects.for_user(user)
        .filter(condition, case__deleted_at__isnull=True)
        .select_related(
            "case",
            "case__person",
            "menu",
            "menu__provider",
            "coordinator",
            "plan",
            "plan__decided_at_meeting",
        )
    )


def assignment_get_for_user(user: Any, assignment_id: int) -> Assignment:
    return get_for_user_or_404(assignments_visible_to(user), user, pk=assignment_id)


def assignment_page(user: Any, assignment_id: int) -> dict[str, Any]:
    assignment = assignment_get_for_user(user, assignment_id)
    logs = list(assignment.logs.select_related("recorded_by", "referral").order_by("-held_on"))
    follow_ups = list(assignment.follow_ups.order_by("due_on"))
    return {"assignment": assignment, "logs": logs, "follow_ups": follow_ups}


def follow_up_get_for_user(user: Any, follow_up_id: int) -> FollowUp:
    qs = FollowUp.objects.for_user(user).select_related("assignment", "assignment__case")
    if not has_role(user, *ASSIGNMENT_READERS):
        qs = qs.none()
    return get_for_user_or_404(qs, user, pk=follow_up_id)


def matching_page(user: Any, referral_id: int) -> dict[str, Any]:
    """The referral, the person's profile and ranked menu suggestions."""
    referral: Referral = referral_get_for_user(user, referral_id)
    if referral.to_program != PARTICIPATION or not can_manage(user):
        raise Http404
    profile = ParticipationProfile.objects.filter(case_id=referral.case_id).first()
    menus = [(m, m.capacity - m.in_use) for m in menus_visible_to(user)]
    suggestions: list[Suggestion] = rank_menus(
        Profile(
            case_id=referral.case_id,
            interests=profile.interests if profile else (),
            area=profile.area if profile else "",
            days=profile.days if profile else (),
            needs=profile.needs if profile else (),
        ),
        menus,
    )
    assignments = list(
        Assignment.objects.filter(case_id=referral.case_id)
        .select_related("menu")
        .order_by("-created_at")
    )
    from cases.collaboration import participation_plan

    return {
        "referral": referral,
        "profile": profile,
        "suggestions": suggestions,
        "assignments": assignments,
        # The decided plan applying for 参加支援 an assignment would stem from (None: no
        # menu can be proposed yet).
        "plan": participation_plan(referral.case),
    }


def participation_inbox(user: Any) -> list[Referral]:
    from cases.collaboration import referral_inbox

    return referral_inbox(user, PARTICIPATION)


# --- what participation adds to the case page -----------------------------------------


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _assignment_entry(row: Row) -> TimelineEntry:
    status = Assignment(status=row.status).get_status_display()
    return TimelineEntry(
        at=_at(row.start_on or timezone.localtime(row.created_at).date(), 9),
        kind="participation",
        title=f"{row.menu_name}（{status}）",
        url=reverse("participation:assignment_detail", args=[row.pk]),
    )


def _session_log_entry(row: Row) -> TimelineEntry:
    body = row.observation or ""
    if row.concern_note:
        body = f"{body}\n⚠ {row.concern_note}".strip()
    attendance = SessionLog(attendance=row.attendance).get_attendance_display()
    return TimelineEntry(
        at=_at(row.held_on, 17),
        kind="participation",
        title=f"{row.menu_name}: {attendance}",
        body=body,
        url=reverse("participation:assignment_detail", args=[row.assignment_id]),
    )


def case_timeline(case: Any, limit: int | None) -> list[RowKind]:
    """Assignments and session logs of a case (the newest ``limit`` logs), for the case
    page's one statement (``cases.core.timeline``)."""
    mine = {"municipality_id": case.municipality_id}
    assignments = Assignment.objects.filter(case=case, **mine)
    logs = newest(SessionLog.objects.filter(assignment__case=case, **mine), "held_on", limit)
    return [
        RowKind(
            "participation.assignment",
            assignments,
            {
                "menu_name": "menu__name",
                "status": "status",
                "start_on": "start_on",
                "created_at": "created_at",
            },
            _assignment_entry,
        ),
        RowKind(
            "participation.session_log",
            logs,
            {
                "assignment_id": "assignment_id",
                "held_on": "held_on",
                "menu_name": "assignment__menu__name",
                "attendance": "attendance",
                "observation": "observation",
                "concern_note": "concern_note",
            },
            _session_log_entry,
        ),
    ]


# --- the coordinator's home ------------------------------------------------------------

# An active assignment without a session log for this long asks for one.
LOG_DUE_DAYS = 14
LOG_DUE_DAYS_DELTA = datetime.timedelta(days=LOG_DUE_DAYS)
HOME_SHOWN = 10


def coordinator_home(user: Any) -> dict[str, Any]:
    """A coordinator's work today: referrals waiting in the inbox, assignments whose
    session log is due, 定着 follow-ups due. A manager sees the municipality's."""
    today = timezone.localdate()
    mine = Q(coordinator=user) if has_role(user, Role.COORDINATOR) else Q()
    running = assignments_visible_to(user).filter(
        mine, status__in=[Assignment.Status.TRIAL, Assignment.Status.ACTIVE]
    )
    due = list(
        running.annotate(last_log=Max("logs__held_on"))
        .filter(Q(last_log__isnull=True) | Q(last_log__lt=today - LOG_DUE_DAYS_DELTA))
        .order_by(F("last_log").asc(nulls_first=True), "pk")[: HOME_SHOWN + 1]
    )
    follow_ups = list(
        FollowUp.objects.for_user(user)
        .filter(done_on__isnull=True, due_on__lte=today + datetime.timedelta(days=7))
        .filter(assignment__in=assignments_visible_to(user).filter(mine).values("pk"))
        .select_related("assignment", "assignment__case__person", "assignment__menu")
        .order_by("due_on", "pk")[: HOME_SHOWN + 1]
    )
    inbox = participation_inbox(user)
    return {
        "inbox": inbox[:HOME_SHOWN],
        "inbox_count": len(inbox),
        "logs_due": due[:HOME_SHOWN],
        "logs_due_more": len(due) > HOME_SHOWN,
        "follow_ups_due": follow_ups[:HOME_SHOWN],
        "follow_ups_more": len(follow_ups) > HOME_SHOWN,
        "log_due_days": LOG_DUE_DAYS,
        "today": today,
    }
