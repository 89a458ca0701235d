"""The five 事業 of the statistics and the indicators of the consultation pillar
(包括的相談支援事業, 多機関協働事業, アウトリーチ等を通じた継続的支援事業), each with what it
counts. 参加支援事業 and 地域づくり事業 register their own from their apps."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Consultation, Meeting, MeetingCase, Referral, SupportPlan
from cases.registry import Business, register_business, register_indicator
from cases.statistics.queries import (
    Period,
    batched,
    consultations_by_method_month,
    per_municipality_part,
    scoped,
)

# Keys of the five 事業 (社会福祉法 第106条の4 第2項), in the order of the national survey.
COMPREHENSIVE = "comprehensive"
PARTICIPATION = "participation"
COMMUNITY = "community"
OUTREACH = "outreach"
MULTIAGENCY = "multiagency"
OTHER = "other"

BUSINESSES = (
    Business(COMPREHENSIVE, _("Comprehensive consultation support"), 10),  # 包括的相談支援事業
    Business(PARTICIPATION, _("Participation support programme"), 20),  # 参加支援事業
    Business(COMMUNITY, _("Community building programme"), 30),  # 地域づくり事業
    # Its figures come from the outreach register (the ``outreach`` app).
    Business(
        OUTREACH, _("Continuous support through outreach"), 40
    ),  # アウトリーチ等を通じた継続的支援事業
    Business(MULTIAGENCY, _("Multi-agency collaboration"), 50),  # 多機関協働事業
)
for business in BUSINESSES:
    register_business(business)


def _new_cases(ids: list[int] | None, p: Period) -> QuerySet:
    qs = Case.objects.filter(deleted_at__isnull=True, opened_on__range=(p.start, p.end))
    return per_municipality_part(scoped(qs, ids))


def _consultations(ids: list[int] | None, p: Period) -> QuerySet:
    """For chosen municipalities, the same part as their table by method and month (the
    page then reads the consultations once, ``run_parts``). Across every municipality a
    plain count: grouping the nation's consultations by method and month too took the
    national figures from 0.65 s to 1.7 s at 1,000,000 cases (bench/README.md)."""
    if ids is not None:
        return consultations_by_method_month(ids, p)
    start, end = p.datetimes()
    qs = Consultation.objects.filter(
        deleted_at__isnull=True, occurred_at__gte=start, occurred_at__lt=end
    )
    return per_municipality_part(qs)


def _meetings(kind: str) -> Callable[[list[int] | None, Period], QuerySet]:
    def query(ids: list[int] | None, p: Period) -> QuerySet:
        qs = Meeting.objects.filter(kind=kind, held_on__range=(p.start, p.end))
        return per_municipality_part(scoped(qs, ids))

    return query


def _plans_made(ids: list[int] | None, p: Period) -> QuerySet:
    qs = SupportPlan.objects.filter(created_on__range=(p.start, p.end))
    return per_municipality_part(scoped(qs, ids))


def _handed_over(ids: list[int] | None, p: Period) -> QuerySet:
    # The program key of the 多機関協働 team is the 事業's key (``cases.programs``).
    start, end = p.datetimes()
    qs = Referral.objects.filter(
        to_program=MULTIAGENCY, created_at__gte=start, created_at__lt=end
    ).exclude(status=Referral.Status.DECLINED)
    return per_municipality_part(scoped(qs, ids))


def _decided(decision: str) -> Callable[[list[int] | None, Period], QuerySet]:
    def query(ids: list[int] | None, p: Period) -> QuerySet:
        qs = MeetingCase.objects.filter(decision=decision, meeting__held_on__range=(p.start, p.end))
        return per_municipality_part(scoped(qs, ids))

    return query


CONSULTATION = _("Consultation support")
for indicator in (
    batched(
        "consultations_received",
        _("Consultations received (new cases)"),
        CONSULTATION,
        _new_cases,
        10,
        business=COMPREHENSIVE,
        definition=_("Cases opened in the period (one person's episode of support counts once)."),
    ),
    batched(
        "consultations_logged",
        _("Consultations (contacts)"),
        CONSULTATION,
        _consultations,
        11,
        business=COMPREHENSIVE,
        definition=_("Every consultation recorded in the period (visits, calls, … each count)."),
    ),
    batched(
        "multiagency_meetings",
        _("Multi-agency support meetings"),
        CONSULTATION,
        _meetings(Meeting.Kind.MULTIAGENCY),
        50,
        business=MULTIAGENCY,
        definition=_("重層的支援会議 held in the period (meetings, not the cases discussed)."),
    ),
    batched(
        "support_meetings",
        _("Support meetings (art. 106-6)"),
        CONSULTATION,
        _meetings(Meeting.Kind.SUPPORT),
        51,
        business=MULTIAGENCY,
        definition=_("支援会議 (法第106条の6) held in the period."),
    ),
    batched(
        "multiagency_handovers",
        _("Hand-overs to the multi-agency team"),
        CONSULTATION,
        _handed_over,
        49,
        business=MULTIAGENCY,
        definition=_(
            "Cases an agency handed over to the 多機関協働 team in the period (つなぎ), "
            "waiting or accepted; declined hand-overs are not counted."
        ),
    ),
    batched(
        "plans_made",
        _("Support plans made"),
        CONSULTATION,
        _plans_made,
        52,
        business=MULTIAGENCY,
        definition=_("Support plans whose date of making falls in the period."),
    ),
    batched(
        "plans_decided",
        _("Plans approved by a meeting (support decided)"),
        CONSULTATION,
        _decided(MeetingCase.Decision.DECIDE_PLAN),
        53,
        business=MULTIAGENCY,
        definition=_("Cases a meeting in the period decided support for (支援決定)."),
    ),
    batched(
        "plans_reviewed",
        _("Plans reviewed by a multi-agency meeting"),
        CONSULTATION,
        _decided(MeetingCase.Decision.REVIEWED),
        54,
        business=MULTIAGENCY,
        definition=_("Cases whose plan a meeting in the period reviewed (評価)."),
    ),
    batched(
        "plans_closed",
        _("Cases closed by a multi-agency meeting"),
        CONSULTATION,
        _decided(MeetingCase.Decision.CLOSE),
        55,
        business=MULTIAGENCY,
        definition=_("Cases a meeting in the period ended multi-agency work for (終結)."),
    ),
):
    register_indicator(indicator)
