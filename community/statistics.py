"""Statistics of community building (registered from ``ready()``)."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.statistics import (
    Indicator,
    Period,
    Table,
    per_municipality,
    register_indicator,
    register_section,
    scoped,
)
from community.models import ActivityRecord, Concern, Place, PlatformSession

COMMUNITY = gettext_lazy("Community building")


def _places(ids: list[int] | None, p: Period) -> dict[int, int]:
    qs = Place.objects.filter(records__held_on__range=(p.start, p.end))
    return per_municipality(scoped(qs, ids))


def _participants(ids: list[int] | None, p: Period) -> dict[int, int]:
    rows = (
        scoped(ActivityRecord.objects.filter(held_on__range=(p.start, p.end)), ids)
        .values("municipality_id")
        .annotate(n=Sum("participants"))
        .order_by()
    )
    return {row["municipality_id"]: row["n"] or 0 for row in rows}


def _organisations(ids: list[int] | None, p: Period) -> dict[int, int]:
    """Participating organisations: platform attendance of every sector but residents."""
    totals: dict[int, int] = {}
    sessions = scoped(PlatformSession.objects.filter(held_on__range=(p.start, p.end)), ids)
    for mid, attendance in sessions.values_list("municipality_id", "attendance"):
        totals[mid] = totals.get(mid, 0) + sum(
            int(v) for k, v in attendance.items() if k != "residents"
        )
    return totals


register_indicator(
    Indicator(
        "community_places", gettext_lazy("Places and activities held"), COMMUNITY, _places, 30
    )
)
register_indicator(
    Indicator("community_participants", gettext_lazy("Participants"), COMMUNITY, _participants, 31)
)
register_indicator(
    Indicator(
        "community_organisations",
        gettext_lazy("Participating organisations (platform)"),
        COMMUNITY,
        _organisations,
        32,
    )
)


def community_sections(mid: int, p: Period) -> list[Table]:
    start, end = p.datetimes()
    records = ActivityRecord.objects.filter(municipality_id=mid, held_on__range=(p.start, p.end))
    totals = records.aggregate(days=Count("pk"), participants=Sum("participants"))
    sessions = PlatformSession.objects.filter(municipality_id=mid, held_on__range=(p.start, p.end))
    concerns = Concern.objects.filter(
        municipality_id=mid, created_at__gte=start, created_at__lt=end
    )
    kinds = dict(Place.Kind.choices)
    by_kind = (
        records.values("place__kind")
        .annotate(days=Count("pk"), people=Sum("participants"))
        .order_by("place__kind")
    )
    return [
        Table(
            "community",
            _("Community building"),
            [_("Item"), _("Count")],
            [
                [
                    _("Active places and activities"),
                    Place.objects.filter(municipality_id=mid, status=Place.Status.ACTIVE).count(),
                ],
                [_("Activity days recorded"), totals["days"]],
                [_("Participants (total)"), totals["participants"] or 0],
                [_("Platform sessions"), sessions.count()],
                [_("Concerns received"), concerns.count()],
                [
                    _("Concerns taken up by consultation"),
                    concerns.filter(status=Concern.Status.TAKEN_UP).count(),
                ],
            ],
        ),
        Table(
            "activity_by_kind",
            _("Activity by kind of place"),
            [_("Kind"), _("Activity days"), _("Participants")],
            [[str(kinds[r["place__kind"]]), r["days"], r["people"] or 0] for r in by_kind],
        ),
    ]


register_section(30, community_sections)
