"""Reads of the referral engine: the flags a user may see, their queue, one flag."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.core.queries import OFFICE_ROLES, case_condition
from cases.models import Flag, SupportAgency
from cases.registry import all_rules
from municipalities.models import Role, User
from municipalities.scoping import active_membership


def flags_visible_to(user: Any) -> QuerySet[Flag]:
    """Unresolved flags of the user's municipality for their role or assigned to them,
    and for a caseworker those of the rules meant for the case's lead agency
    (``Rule.lead_agency``) about cases their agency leads; the office sees all. Snoozed
    flags come back on their date."""
    membership = active_membership(user)
    if membership is None or getattr(user, "is_system_admin", False):
        return Flag.objects.none()
    qs = Flag.objects.filter(municipality_id=membership.municipality_id, resolved_at__isnull=True)
    if membership.role not in OFFICE_ROLES:
        qs = qs.filter(Q(audience=membership.role) | Q(assigned_to=user) | _lead_agency(membership))
    if membership.role == Role.CASEWORKER:
        # Need to know: a flag about a case shows only to those who see the case.
        qs = qs.filter(Q(case__isnull=True) | case_condition(user, "case"))
    return qs


def _lead_agency(membership: Any) -> Q:
    """Flags of the rules meant for the lead agency, about the cases the caseworker's
    agency leads (nothing for other roles or staff of no agency)."""
    codes = [rule.code for rule in all_rules() if rule.lead_agency]
    if membership.role != Role.CASEWORKER or membership.organisation_id is None or not codes:
        return Q(pk__in=[])
    agencies = SupportAgency.objects.filter(organisation_id=membership.organisation_id)
    return Q(rule__in=codes, case__lead_agency_id__in=agencies.values("pk"))


def flag_queue(user: Any, *, today: datetime.date | None = None) -> QuerySet[Flag]:
    today = today or timezone.localdate()
    return (
        flags_visible_to(user)
        .filter(Q(state=Flag.State.OPEN) | Q(state=Flag.State.SNOOZED, snoozed_until__lte=today))
        .select_related("case", "case__person", "case__assigned_to", "assigned_to")
        .order_by("raised_at", "pk")
    )


# What the flag queue shows of a flag (cases/templates/cases/flag_queue.html and
# ``cases.templatetags.flag_badges``): a page of fifty flags read whole, each with its
# case, person and caseworker, cost more in Python than its statement did.
FLAG_QUEUE_FIELDS = (
    "rule",
    "state",
    "detail",
    "raised_at",
    "case_id",
    "subject_type",
    "subject_id",
    "case__number",
    "case__person__name",
    *(f"case__assigned_to__{name}" for name in User.NAME_FIELDS),
)


def flag_queue_page(user: Any, start: int, size: int) -> list[Flag]:
    """``size`` flags of the user's queue from ``start``, with what the queue shows."""
    rows = (
        flag_queue(user)
        .select_related(None)
        .select_related("case__person", "case__assigned_to")
        .only(*FLAG_QUEUE_FIELDS)
    )
    return list(rows[start : start + size])


def flag_get_for_user(user: Any, flag_id: int) -> Flag:
    from django.http import Http404

    flag = flags_visible_to(user).select_related("case", "case__person").filter(pk=flag_id).first()
    if flag is None:
        raise Http404
    return flag
