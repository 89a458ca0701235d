"""Statistics of outreach (アウトリーチ等を通じた継続的支援事業), registered from
``ready()``: the people worked on in the period by the stage they had reached, contacts
by method and outcome, hand-overs and the time from 把握 to つなぎ. They replace the
estimate from home-visit consultations."""

from __future__ import annotations

import datetime
import statistics as pystats

from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.registry import register_indicator, register_section
from cases.statistics import (
    Parts,
    Period,
    Rows,
    Table,
    batched,
    part,
    per_municipality_part,
    run_parts,
    scoped,
)
from outreach.models import Contact, OutreachTarget, Stage, StageChange

OUTREACH = gettext_lazy("Outreach")


def _worked_on(qs: QuerySet, p: Period) -> QuerySet:
    """Targets with a contact or a change of stage in the period."""
    contact = Contact.objects.filter(target=OuterRef("pk"), contacted_on__range=(p.start, p.end))
    change = StageChange.objects.filter(target=OuterRef("pk"), changed_on__range=(p.start, p.end))
    return qs.filter(Q(Exists(contact)) | Q(Exists(change)))


def _people(ids: list[int] | None, p: Period) -> QuerySet:
    return per_municipality_part(_worked_on(scoped(OutreachTarget.objects.all(), ids), p))


def _contacts(ids: list[int] | None, p: Period) -> QuerySet:
    qs = Contact.objects.filter(contacted_on__range=(p.start, p.end))
    return per_municipality_part(scoped(qs, ids))


def _handovers(ids: list[int] | None, p: Period) -> QuerySet:
    qs = StageChange.objects.filter(to_stage=Stage.HANDED_OVER, changed_on__range=(p.start, p.end))
    return per_municipality_part(scoped(qs, ids))


for indicator in (
    batched(
        "outreach_people",
        gettext_lazy("People reached by outreach"),
        OUTREACH,
        _people,
        40,
        business="outreach",
        definition=gettext_lazy(
            "Distinct people or households on the outreach register with a contact or a "
            "change of stage in the period, consented or not (対象者数)."
        ),
    ),
    batched(
        "outreach_contacts",
        gettext_lazy("Outreach contacts"),
        OUTREACH,
        _contacts,
        41,
        business="outreach",
        definition=gettext_lazy(
            "Every attempt to reach them in the period — visits, letters, calls, through the "
            "family or an agency — whether it reached the person or not (延べ接触数)."
        ),
    ),
    batched(
        "outreach_handovers",
        gettext_lazy("Handed over from outreach"),
        OUTREACH,
        _handovers,
        42,
        business="outreach",
        definition=gettext_lazy(
            "Targets handed over to a case (つなぎ) in the period, after they consented."
        ),
    ),
):
    register_indicator(indicator)


def outreach_parts(mid: int, p: Period) -> Parts:
    stage_at_end = (
        StageChange.objects.filter(target=OuterRef("pk"), changed_on__lte=p.end)
        .order_by("-changed_on", "-pk")
        .values("to_stage")[:1]
    )
    targets = _worked_on(OutreachTarget.objects.filter(municipality_id=mid), p)
    return {
        "outreach_stages": part(
            targets.annotate(stage_then=Subquery(stage_at_end, output_field=CharField())),
            dims=("stage_then",),
            counts=(Count("pk"),),
        ),
        "outreach_contacts": part(
            Contact.objects.filter(municipality_id=mid, contacted_on__range=(p.start, p.end)),
            dims=("method", "outcome"),
            counts=(Count("pk"),),
        ),
        # Each hand-over with the day its target was found: the days between, per target.
        "outreach_handovers": part(
            StageChange.objects.filter(
                municipality_id=mid,
                to_stage=Stage.HANDED_OVER,
                changed_on__range=(p.start, p.end),
            ),
            dims=(Cast("target__found_on", CharField()), Cast("changed_on", CharField())),
            counts=(Count("pk"),),
        ),
    }


def _days(rows: list) -> list[int]:
    days = []
    for _m, found, handed, _d2, n, _n1, _x in rows:
        gap = datetime.date.fromisoformat(handed[:10]) - datetime.date.fromisoformat(found[:10])
        days += [gap.days] * n
    return days


def outreach_sections(mid: int, p: Period, rows: Rows | None = None) -> list[Table]:
    if rows is None:
        rows = run_parts(outreach_parts(mid, p))
    by_stage: dict[str, int] = {}
    for _m, stage, _d1, _d2, n, _n1, _x in rows["outreach_stages"]:
        by_stage[stage] = by_stage.get(stage, 0) + n
    methods, outcomes = dict(Contact.Method.choices), dict(Contact.Outcome.choices)
    contacts = sorted(rows["outreach_contacts"], key=lambda r: (-r[4], r[1], r[2]))
    days = _days(rows["outreach_handovers"])
    return [
        Table(
            "outreach",
            _("Outreach"),
            [_("Item"), _("Count")],
            [
                [_("People worked on"), sum(by_stage.values())],
                *[[str(label), by_stage.get(stage, 0)] for stage, label in Stage.choices],
                [_("Contacts (total)"), sum(r[4] for r in contacts)],
                [_("Handed over"), len(days)],
                [
                    _("Days from finding to hand-over (median)"),
                    round(pystats.median(days)) if days else "—",
                ],
            ],
        ),
        Table(
            "outreach_contacts",
            _("Outreach contacts by method and outcome"),
            [_("How"), _("Outcome"), _("Contacts")],
            [[str(methods.get(r[1], r[1])), str(outcomes.get(r[2], r[2])), r[4]] for r in contacts],
        ),
    ]


register_section(25, outreach_sections, outreach_parts)
