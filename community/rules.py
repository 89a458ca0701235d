"""Referral rules that involve community building (registered from ``ready()``)."""

from __future__ import annotations

import datetime

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.engine import Rule, case_rows, has_category, open_cases
from cases.programs import CONSULTATION
from cases.registry import register_rule
from community.models import CasePlace, Concern
from community.program import PROGRAM as COMMUNITY


def _concern_unanswered(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    cutoff = as_of - datetime.timedelta(days=p["days"])
    # "Received on the cutoff day or before" as a range on created_at (the local date of
    # created_at is not indexable), unordered (Concern.Meta.ordering would sort).
    received_before = timezone.make_aware(
        datetime.datetime.combine(cutoff + datetime.timedelta(days=1), datetime.time(0))
    )
    return (
        Concern.objects.filter(
            municipality_id=mid,
            status=Concern.Status.RECEIVED,
            case__isnull=True,
            created_at__lt=received_before,
        )
        .order_by()
        .values(
            "urgency",
            flag_subject=F("pk"),
            flag_case=F("case_id"),
            flag_user=F("reported_by_id"),
            received=F("created_at"),
        )
    )


register_rule(
    Rule(
        code="community_concern_unanswered",
        title=_("Community concern unanswered"),
        explanation=_(
            "A concern from the community has waited {days} days without being taken up by "
            "consultation."
        ),
        audience="caseworker",
        subject="concern",
        defaults={"days": 3},
        param_labels={"days": _("days a concern may wait")},
        query=_concern_unanswered,
        order=30,
    )
)


def _isolation_no_place(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    linked = CasePlace.objects.filter(
        municipality_id=mid, case=OuterRef("pk"), ended_on__isnull=True
    )
    qs = (
        open_cases(mid)
        .filter(opened_on__lte=as_of - datetime.timedelta(days=p["days"]))
        .filter(has_category(["isolation"], mid))
        .filter(~Exists(linked))
    )
    return case_rows(qs, "opened_on")


register_rule(
    Rule(
        code="isolation_no_place",
        title=_("Isolation, no place"),
        explanation=_(
            "A case about isolation has been open {days} days and is linked to no place or "
            "community activity."
        ),
        audience="community_worker",
        subject="case",
        defaults={"days": 14},
        param_labels={"days": _("days the case has been open")},
        query=_isolation_no_place,
        refer=(COMMUNITY, CONSULTATION),
        order=40,
    )
)
