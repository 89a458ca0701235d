"""Statistics of community building (registered from ``ready()``)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum
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
from community.models import (
    ActivityRecord,
    Concern,
    Place,
    PlatformSession,
    SessionOrganisation,
)

COMMUNITY = gettext_lazy("Community building")


def _places(ids: list[int] | None, p: Period) -> QuerySet:
    qs = Place.objects.filter(records__held_on__range=(p.start, p.end))
    return per_municipality_part(scoped(qs, ids))


def _participants(ids: list[int] | None, p: Period) -> QuerySet:
    qs = scoped(ActivityRecord.objects.filter(held_on__range=(p.start, p.end)), ids)
    return part(qs, municipality=True, counts=(Sum("participants"),))


def _organisations(ids: list[int] | None, p: Period) -> QuerySet:
    """Participating organisations (参加機関数): distinct organisations named at a platform
    session of the period, each counted once however many sessions or staff it sent."""
    qs = SessionOrganisation.objects.filter(session__held_on__range=(p.start, p.end))
    return per_municipality_part(scoped(qs, ids), "name")


register_indicator(
    batched(
        "community_places",
        gettext_lazy("Places and activities held"),
        COMMUNITY,
        _places,
        30,
        business="community",
        definition=gettext_lazy(
            "Distinct places and activities (拠点) with at least one day recorded in the period."
        ),
    )
)
register_indicator(
    batched(
        "community_participants",
        gettext_lazy("Participants"),
        COMMUNITY,
        _participants,
        31,
        business="community",
        definition=gettext_lazy(
            "Participants of the activity days recorded in the period, added up (延べ人数)."
        ),
    )
)
register_indicator(
    batched(
        "community_organisations",
        gettext_lazy("Participating organisations (platform)"),
        COMMUNITY,
        _organisations,
        32,
        business="community",
        definition=gettext_lazy(
            "Distinct organisations named at the platform sessions of the period (not "
            "head-counts; an organisation at several sessions counts once)."
        ),
    )
)


def community_parts(mid: int, p: Period) -> Parts:
    start, end = p.datetimes()
    return {
        # One pass over the activity records: days and participants by kind of place.
        "community_activity": part(
            ActivityRecord.objects.filter(municipality_id=mid, held_on__range=(p.start, p.end)),
            dims=("place__kind",),
            counts=(Count("pk"), Sum("participants")),
        ),
        "community_active_places": part(
            Place.objects.filter(municipality_id=mid, status=Place.Status.ACTIVE),
            counts=(Count("pk"),),
        ),
        "community_sessions": part(
            PlatformSession.objects.filter(municipality_id=mid, held_on__range=(p.start, p.end)),
            counts=(Count("pk"),),
        ),
        # One pass over the concerns: received, and taken up by consultation.
        "community_concerns": part(
            Concern.objects.filter(municipality_id=mid, created_at__gte=start, created_at__lt=end),
            counts=(Count("pk"), Count("pk", filter=Q(status=Concern.Status.TAKEN_UP))),
        ),
    }


def community_sections(mid: int, p: Period, rows: Rows | None = None) -> list[Table]:
    if rows is None:
        rows = run_parts(community_parts(mid, p))
    kinds = dict(Place.Kind.choices)
    by_kind = sorted(rows["community_activity"], key=lambda r: r[1])
    concerns = rows["community_concerns"]
    return [
        Table(
            "community",
            _("Community building"),
            [_("Item"), _("Count")],
            [
                [
                    _("Active places and activities"),
                    sum(r[4] for r in rows["community_active_places"]),
                ],
                [_("Activity days recorded"), sum(r[4] for r in by_kind)],
                [_("Participants (total)"), sum(r[5] for r in by_kind)],
                [_("Platform sessions"), sum(r[4] for r in rows["community_sessions"])],
                [_("Concerns received"), sum(r[4] for r in concerns)],
                [_("Concerns taken up by consultation"), sum(r[5] for r in concerns)],
            ],
        ),
        Table(
            "activity_by_kind",
            _("Activity by kind of place"),
            [_("Kind"), _("Activity days"), _("Participants")],
            [[str(kinds[r[1]]), r[4], r[5]] for r in by_kind],
        ),
    ]


register_section(30, community_sections, community_parts)
