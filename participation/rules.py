"""Referral rules that involve participation support (registered from ``ready()``)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from cases.engine import Rule, case_rows, has_category, has_row, open_cases
from cases.models import Referral
from cases.programs import CONSULTATION
from cases.registry import register_rule
from participation.models import Assignment, SessionLog
from participation.program import PROGRAM as PARTICIPATION

NEEDS_PARTICIPATION_CATEGORIES = ["isolation", "hikikomori", "job_search"]


def _needs_participation(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    taking_part = Assignment.objects.filter(
        municipality_id=mid,
        case=OuterRef("pk"),
        status__in=[Assignment.Status.TRIAL, Assignment.Status.ACTIVE],
    )
    referred = Referral.objects.filter(
        municipality_id=mid,
        case=OuterRef("pk"),
        to_program=PARTICIPATION,
        status__in=[Referral.Status.PROPOSED, Referral.Status.ACCEPTED],
    )
    qs = (
        open_cases(mid)
        .filter(opened_on__lte=as_of - datetime.timedelta(days=p["days"]))
        .filter(has_category(NEEDS_PARTICIPATION_CATEGORIES, mid))
        .filter(~Exists(taking_part), ~Exists(referred))
    )
    return case_rows(qs, "opened_on")


register_rule(
    Rule(
        code="needs_participation",
        title=_("Needs participation"),
        explanation=_(
            "A case about isolation, withdrawal or work has been open {days} days without "
            "participation support."
        ),
        audience="coordinator",
        subject="case",
        defaults={"days": 30},
        param_labels={"days": _("days the case has been open")},
        query=_needs_participation,
        refer=(PARTICIPATION, CONSULTATION),
        order=10,
    )
)


def _participation_concern(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    since = as_of - datetime.timedelta(days=p["days"])
    concern = SessionLog.objects.filter(
        municipality_id=mid, assignment__case=OuterRef("pk"), held_on__gte=since, held_on__lte=as_of
    ).exclude(concerns=[])
    # Absences after the last attendance, per active assignment of the case.
    last_present = (
        SessionLog.objects.filter(assignment=OuterRef("pk"))
        .exclude(attendance=SessionLog.Attendance.ABSENT)
        .order_by("-held_on")
        .values("held_on")[:1]
    )
    absences = (
        SessionLog.objects.filter(
            assignment=OuterRef("pk"),
            attendance=SessionLog.Attendance.ABSENT,
            held_on__gt=OuterRef("since_present"),
        )
        .order_by()
        .values("assignment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # The count of absences as a scalar subquery per assignment rather than a GROUP BY
    # of the assignments: without an aggregate of its own the EXISTS below can be hashed
    # once over the municipality's open assignments in a scan (as the hand-written SQL),
    # and still be looked up by case when one case is re-evaluated.
    missing = (
        Assignment.objects.filter(
            municipality_id=mid,
            case=OuterRef("pk"),
            status__in=[Assignment.Status.TRIAL, Assignment.Status.ACTIVE],
        )
        .annotate(
            since_present=Coalesce(
                Subquery(last_present), F("start_on"), F("menu__created_at__date")
            )
        )
        .annotate(missed=Coalesce(Subquery(absences, output_field=IntegerField()), 0))
        .filter(missed__gte=p["missed"])
    )
    # The detail columns as scalar subqueries, read only for the matching cases (see
    # cases.engine.rules.has_row) instead of building the hashes of WHERE a second time.
    qs = (
        open_cases(mid)
        .filter(Exists(concern) | Exists(missing))
        .annotate(concern=has_row(concern), missed_in_a_row=has_row(missing))
    )
    return case_rows(qs, "concern", "missed_in_a_row")


register_rule(
    Rule(
        code="participation_concern",
        title=_("Concern from participation"),
        explanation=_(
            "A participation log in the last {days} days records a concern, or the person "
            "missed {missed} sessions in a row."
        ),
        audience="caseworker",
        subject="case",
        defaults={"days": 14, "missed": 3},
        param_labels={
            "days": _("days a logged concern stays relevant"),
            "missed": _("sessions missed in a row"),
        },
        query=_participation_concern,
        order=20,
    )
)
