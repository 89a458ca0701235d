"""The 重層 office's home: the municipality at a glance — who carries how many cases,
what is waiting too long — rather than the manager's own few cases. A fixed number of
queries: each list is one grouped or limited read, and each goes through the scoped
reads that take the user (the office sees its whole municipality there)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from cases.collaboration.queries import referrals_visible_to
from cases.core.queries import case_scoped, cases_visible_to
from cases.engine.queries import flag_queue
from cases.models import Case, EmergencyAccess, Referral, SupportPlan
from cases.registry import get_rule

# How many of each waiting list the page shows (the lists behind them show all).
SHOWN = 10


def office_overview(user: Any) -> dict[str, Any]:
    today = timezone.localdate()
    open_cases = cases_visible_to(user).exclude(status=Case.Status.CLOSED)
    by_staff = list(
        open_cases.filter(assigned_to__isnull=False)
        .values("assigned_to", "assigned_to__display_name", "assigned_to__username")
        .annotate(n=Count("pk"))
        .order_by("-n", "assigned_to__username")
    )
    by_agency = list(
        open_cases.values("lead_agency", "lead_agency__name")
        .annotate(n=Count("pk"), sensitive=Count("pk", filter=Q(is_sensitive=True)))
        .order_by("-n", "lead_agency__name")
    )
    flags = list(
        flag_queue(user)  # the open flags, as the queue and the dashboard count them
        .values("rule")
        .annotate(n=Count("pk"))
        .order_by("-n", "rule")
    )
    for row in flags:
        rule = get_rule(row["rule"])
        row["title"] = rule.title if rule is not None else row["rule"]
    reviews = list(
        case_scoped(user, SupportPlan.objects.all())
        .filter(status=SupportPlan.Status.DECIDED, review_on__lt=today)
        .select_related("case", "case__person")
        .order_by("review_on", "pk")[: SHOWN + 1]
    )
    late = list(
        referrals_visible_to(user)
        .filter(status=Referral.Status.PROPOSED, acknowledge_by__lt=today)
        .order_by("acknowledge_by", "pk")[: SHOWN + 1]
    )
    looks = list(
        EmergencyAccess.objects.for_user(user)
        .select_related("case", "case__person", "user", "reviewed_by")
        .order_by("-granted_at")[:SHOWN]
    )
    return {
        "open_cases": sum(row["n"] for row in by_agency),
        "by_staff": by_staff,
        "by_agency": by_agency,
        "flags_by_rule": flags,
        "reviews_overdue": reviews[:SHOWN],
        "reviews_more": len(reviews) > SHOWN,
        "referrals_late": late[:SHOWN],
        "referrals_more": len(late) > SHOWN,
        "emergency_looks": looks,
        "today": today,
    }
