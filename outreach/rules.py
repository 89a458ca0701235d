"""The cadence rules of outreach (registered from ``ready()``): a contact overdue,
attempts that keep failing (suggest a 支援会議), a target at 同意 not yet handed over.
Each is one set-based query per municipality over the targets' summary columns."""

from __future__ import annotations

import datetime

from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from cases.engine import Rule
from cases.registry import register_rule
from outreach.models import ACTIVE_STAGES, OutreachTarget, Stage


def _rows(qs: QuerySet, *detail: str) -> QuerySet:
    return qs.order_by().values(
        *detail,
        flag_subject=F("pk"),
        flag_case=F("case_id"),
        flag_user=F("worker_id"),
    )


def _contact_overdue(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    qs = OutreachTarget.objects.filter(
        municipality_id=mid,
        stage__in=ACTIVE_STAGES,
        next_contact_on__lt=as_of - datetime.timedelta(days=p["grace_days"]),
    )
    return _rows(qs, "next_contact_on", "last_contact_on")


register_rule(
    Rule(
        code="outreach_contact_overdue",
        title=_("Outreach contact overdue"),
        explanation=_(
            "The next planned contact with someone the team is trying to reach is more "
            "than {grace_days} days overdue."
        ),
        audience="outreach",
        subject="outreach",
        defaults={"grace_days": 3},
        param_labels={"grace_days": _("days a planned contact may slip")},
        query=_contact_overdue,
        order=80,
    )
)


def _attempts_failing(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    # A 支援会議 held on the target since the failures began answers the flag: it is
    # the target's basis meeting when it was held after the last contact that reached them.
    qs = OutreachTarget.objects.filter(
        municipality_id=mid,
        stage__in=ACTIVE_STAGES,
        failed_in_a_row__gte=p["attempts"],
    ).exclude(basis_meeting__held_on__gte=F("last_contact_on"))
    return _rows(qs, "failed_in_a_row", "last_contact_on")


register_rule(
    Rule(
        code="outreach_attempts_failing",
        title=_("Outreach attempts keep failing"),
        explanation=_(
            "The last {attempts} attempts to reach the person all failed (nobody answered, "
            "refused, letter left). Consider taking the case to a support meeting (支援会議)."
        ),
        audience="outreach",
        subject="outreach",
        defaults={"attempts": 4},
        param_labels={"attempts": _("failed attempts in a row")},
        query=_attempts_failing,
        order=81,
    )
)


def _consented(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    qs = OutreachTarget.objects.filter(
        municipality_id=mid,
        stage=Stage.CONSENT,
        stage_since__lte=as_of - datetime.timedelta(days=p["days"]),
    )
    return _rows(qs, "stage_since")


register_rule(
    Rule(
        code="outreach_consented",
        title=_("Ready to hand over"),
        explanation=_(
            "The person agreed to support {days} or more days ago and has not been handed "
            "over: open a case or hand them over to multi-agency collaboration."
        ),
        audience="outreach",
        subject="outreach",
        defaults={"days": 0},
        param_labels={"days": _("days after consent")},
        query=_consented,
        order=82,
    )
)
