"""Tenant-scoped reads of community building.

Places, activity records and platform sessions are not personal data: all staff of
the municipality read them. Concerns are: the reporter (a community worker) sees only
the status of their own; caseworkers and managers see the municipality's queue and
every concern. Links between cases and places are seen by whoever sees the case.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from cases.core import (
    Row,
    RowKind,
    TimelineEntry,
    can_see_cases,
    case_condition,
    case_scoped,
    newest,
)
from community.models import ActivityRecord, CasePlace, Concern, Outcome, Place, PlatformSession
from municipalities.models import Role
from municipalities.scoping import get_for_user_or_404, has_role

COMMUNITY_ROLES = (Role.COMMUNITY_WORKER, Role.MANAGER)


def can_manage(user: Any) -> bool:
    return has_role(user, *COMMUNITY_ROLES)


def places_visible_to(user: Any) -> QuerySet[Place]:
    return Place.objects.for_user(user)


def place_register(user: Any, *, area: str = "", kind: str = "", status: str = "") -> list[Place]:
    qs = places_visible_to(user).annotate(
        last_held=Max("records__held_on"), link_count=Count("case_links", distinct=True)
    )
    if area:
        qs = qs.filter(area=area)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("area", "name")[:1000])


def place_areas(user: Any) -> list[str]:
    return list(places_visible_to(user).values_list("area", flat=True).distinct().order_by("area"))


def place_get_for_user(user: Any, place_id: int) -> Place:
    return get_for_user_or_404(places_visible_to(user), user, pk=place_id)


def place_page(user: Any, place_id: int) -> dict[str, Any]:
    place = place_get_for_user(user, place_id)
    records = list(place.records.select_related("recorded_by").order_by("-held_on")[:100])
    totals = place.records.aggregate(days=Count("pk"), participants=Sum("participants"))
    return {"place": place, "records": records, "totals": totals}


def sessions_visible_to(user: Any) -> QuerySet[PlatformSession]:
    return PlatformSession.objects.for_user(user)


def session_get_for_user(user: Any, session_id: int) -> PlatformSession:
    qs = sessions_visible_to(user).prefetch_related(
        Prefetch("outcomes", queryset=Outcome.objects.select_related("provider", "menu"))
    )
    return get_for_user_or_404(qs, user, pk=session_id)


def outcome_get_for_user(user: Any, outcome_id: int) -> Outcome:
    qs = Outcome.objects.for_user(user).select_related("session", "provider", "menu")
    return get_for_user_or_404(qs, user, pk=outcome_id)


# --- concerns -----------------------------------------------------------------------


def concerns_visible_to(user: Any) -> QuerySet[Concern]:
    """The 重層 office: all of the municipality. An agency's caseworkers: the queue of
    concerns not yet taken up (addressed to the whole consultation network), those they
    handled, and those linked to a case they see. Community workers: none through this
    (they read their own through ``my_concerns``, status only)."""
    if not can_see_cases(user):
        return Concern.objects.none()
    open_to_all = Q(case__isnull=True, status=Concern.Status.RECEIVED)
    qs = Concern.objects.for_user(user).filter(
        open_to_all | Q(handled_by=user) | (Q(case__isnull=False) & case_condition(user, "case"))
    )
    return qs.select_related("reported_by", "case", "handled_by")


def concern_queue(user: Any) -> list[Concern]:
    """Received concerns, urgent first, oldest first within an urgency."""
    return list(
        concerns_visible_to(user)
        .filter(status=Concern.Status.RECEIVED)
        .order_by("urgency_rank", "created_at")
    )


def concern_get_for_user(user: Any, concern_id: int) -> Concern:
    return get_for_user_or_404(concerns_visible_to(user), user, pk=concern_id)


def my_concerns(user: Any) -> list[dict[str, Any]]:
    """What a reporter may know of their concerns: when, about whom (as they wrote it),
    urgency and whether consultation took it up — never the case."""
    rows = (
        Concern.objects.for_user(user)
        .filter(reported_by=user)
        .order_by("-created_at")
        .values("pk", "created_at", "subject_name", "urgency", "status")[:200]
    )
    labels_u, labels_s = dict(Concern.Urgency.choices), dict(Concern.Status.choices)
    return [
        {**row, "urgency_label": labels_u[row["urgency"]], "status_label": labels_s[row["status"]]}
        for row in rows
    ]


# --- case links -------------------------------------------------------------------


def case_place_get_for_user(user: Any, link_id: int) -> CasePlace:
    qs = CasePlace.objects.select_related("case", "place")
    return get_for_user_or_404(case_scoped(user, qs), user, pk=link_id)


def _place_entry(row: Row) -> TimelineEntry:
    title = row.place_name + (f"（〜{row.ended_on:%Y-%m-%d}）" if row.ended_on else "")
    return TimelineEntry(
        at=timezone.make_aware(datetime.datetime.combine(row.since, datetime.time(10))),
        kind="community",
        title=title,
        body=row.note or "",
        url=reverse("community:place_detail", args=[row.place_id]),
    )


def _concern_entry(row: Row) -> TimelineEntry:
    return TimelineEntry(
        at=row.created_at,
        kind="concern",
        title=str(Concern(reporter_kind=row.reporter_kind).get_reporter_kind_display()),
        body=row.observation or "",
        url=reverse("community:concern_detail", args=[row.pk]),
    )


def case_timeline(case: Any, limit: int | None) -> list[RowKind]:
    """Places the case is linked to and the newest ``limit`` concerns taken up into it,
    for the case page's one statement (``cases.core.timeline``)."""
    mine = {"municipality_id": case.municipality_id}
    concerns = newest(Concern.objects.filter(case=case, **mine), "created_at", limit)
    return [
        RowKind(
            "community.place",
            CasePlace.objects.filter(case=case, **mine),
            {
                "place_id": "place_id",
                "place_name": "place__name",
                "note": "note",
                "since": "since",
                "ended_on": "ended_on",
            },
            _place_entry,
        ),
        RowKind(
            "community.concern",
            concerns,
            {
                "created_at": "created_at",
                "reporter_kind": "reporter_kind",
                "observation": "observation",
            },
            _concern_entry,
        ),
    ]


def activity_records_visible_to(user: Any) -> QuerySet[ActivityRecord]:
    return ActivityRecord.objects.for_user(user)


# --- the community worker's home -------------------------------------------------------

# An active place without an activity record for this long is due a visit.
PLACE_DUE_DAYS = 60
HOME_SHOWN = 10


def community_home(user: Any) -> dict[str, Any]:
    """A community worker's work today: the concerns they passed on and what became of
    them, places due a record, the platform's latest session."""
    today = timezone.localdate()
    concerns = my_concerns(user)
    counts = {status: 0 for status in Concern.Status.values}
    for row in concerns:
        counts[row["status"]] += 1
    places_due = list(
        places_visible_to(user)
        .filter(status=Place.Status.ACTIVE)
        .annotate(last_record=Max("records__held_on"))
        .filter(
            Q(last_record__isnull=True)
            | Q(last_record__lt=today - datetime.timedelta(days=PLACE_DUE_DAYS))
        )
        .order_by(F("last_record").asc(nulls_first=True), "name")[: HOME_SHOWN + 1]
    )
    sessions = sessions_visible_to(user)
    return {
        "concerns": concerns[:HOME_SHOWN],
        "concern_counts": [(Concern.Status(status).label, n) for status, n in counts.items()],
        "places_due": places_due[:HOME_SHOWN],
        "places_more": len(places_due) > HOME_SHOWN,
        "place_due_days": PLACE_DUE_DAYS,
        "last_session": sessions.order_by("-held_on", "-pk").first(),
        "today": today,
    }
