"""Tenant-scoped reads of outreach (アウトリーチ等を通じた継続的支援).

Who sees a target: the municipality's outreach workers and its 重層 office (managers,
the 多機関協働 team); staff of an agency that attended, bound to secrecy, the 支援会議
that decided the outreach (法第106条の6); and, once the target is handed over to a case,
whoever sees that case. Anyone else is answered as if the target did not exist.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core import Row, RowKind, TimelineEntry, agency_of, case_condition, newest
from cases.core.timeline import at_hour
from cases.models import MeetingAttendee
from municipalities.models import Role
from municipalities.scoping import active_membership, get_for_user_or_404, has_role
from outreach.models import ACTIVE_STAGES, Contact, OutreachTarget, StageChange

OUTREACH_ROLES = (Role.OUTREACH, Role.MANAGER, Role.MULTIAGENCY)
# How many contacts the target page lists (the newest); older ones on request.
CONTACTS_SHOWN = 50


def is_outreach_staff(user: Any) -> bool:
    return has_role(user, *OUTREACH_ROLES)


def targets_visible_to(user: Any) -> QuerySet[OutreachTarget]:
    membership = active_membership(user)
    if membership is None or getattr(user, "is_system_admin", False):
        return OutreachTarget.objects.none()
    qs = OutreachTarget.objects.for_user(user)
    if membership.role in OUTREACH_ROLES:
        return qs
    if membership.role != Role.CASEWORKER:
        return qs.none()
    condition = Q(case__isnull=False) & case_condition(user, "case")
    agency = agency_of(user)
    if agency is not None:
        member = MeetingAttendee.objects.filter(
            meeting_id=OuterRef("basis_meeting_id"), agency=agency, secrecy_acknowledged=True
        )
        condition |= Q(Exists(member))
    return qs.filter(condition)


def target_get_for_user(user: Any, target_id: int) -> OutreachTarget:
    return get_for_user_or_404(
        targets_visible_to(user).select_related(
            "person", "household", "worker", "source_agency", "basis_meeting", "case"
        ),
        user,
        pk=target_id,
    )


def target_register(
    user: Any,
    *,
    stage: str = "",
    mine: bool = False,
    overdue: bool = False,
    today: datetime.date | None = None,
) -> QuerySet[OutreachTarget]:
    """The register: active targets by next planned contact (overdue first), or every
    target of a stage; the user's own with ``mine``."""
    today = today or timezone.localdate()
    qs = targets_visible_to(user).select_related("person", "worker")
    qs = qs.filter(stage=stage) if stage else qs.filter(stage__in=ACTIVE_STAGES)
    if mine:
        qs = qs.filter(worker=user)
    if overdue:
        qs = qs.filter(next_contact_on__lt=today)
    return qs.order_by("next_contact_on", "pk")


def target_page(user: Any, target_id: int) -> dict[str, Any]:
    """One target with its newest contacts and its stages, in a fixed number of queries."""
    target = target_get_for_user(user, target_id)
    contacts = list(
        Contact.objects.filter(municipality_id=target.municipality_id, target=target)
        .select_related("worker")
        .order_by("-contacted_on", "-pk")[: CONTACTS_SHOWN + 1]
    )
    stages = list(
        StageChange.objects.filter(municipality_id=target.municipality_id, target=target)
        .select_related("changed_by")
        .order_by("changed_on", "pk")
    )
    return {
        "target": target,
        "contacts": contacts[:CONTACTS_SHOWN],
        "more_contacts": len(contacts) > CONTACTS_SHOWN,
        "stages": stages,
    }


# --- the case page ------------------------------------------------------------------


def _contact_entry(row: Row) -> TimelineEntry:
    return TimelineEntry(
        at=at_hour(row.contacted_on, 9),
        kind="outreach",
        title=_("Outreach: %(method)s, %(outcome)s")
        % {
            "method": Contact.Method(row.method).label,
            "outcome": Contact.Outcome(row.outcome).label,
        },
        body=row.observed or "",
        url=reverse("outreach:target_detail", args=[row.target_id]),
    )


def case_timeline(case: Any, limit: int | None) -> list[RowKind]:
    """The outreach contacts that led to the case: its history carried over at the
    hand-over, newest ``limit`` of them, in the case page's one statement."""
    contacts = newest(
        Contact.objects.filter(municipality_id=case.municipality_id, target__case=case),
        "contacted_on",
        limit,
    )
    return [
        RowKind(
            "outreach.contact",
            contacts,
            {
                "contacted_on": "contacted_on",
                "method": "method",
                "outcome": "outcome",
                "observed": "observed",
                "target_id": "target_id",
            },
            _contact_entry,
        )
    ]
