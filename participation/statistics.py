"""Statistics of participation support (registered from ``ready()``)."""

from __future__ import annotations

from django.db.models import Count, Q
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
from participation.models import Assignment, Menu, Provider

PARTICIPATION = gettext_lazy("Participation support")
TAKING_PART = (
    Assignment.Status.TRIAL,
    Assignment.Status.ACTIVE,
    Assignment.Status.PAUSED,
    Assignment.Status.ENDED,
)


def _people(ids: list[int] | None, p: Period) -> dict[int, int]:
    """People who took part in the period (started before its end, not ended before it)."""
    qs = Assignment.objects.filter(status__in=TAKING_PART, start_on__lte=p.end).filter(
        Q(end_on__isnull=True) | Q(end_on__gte=p.start)
    )
    return per_municipality(scoped(qs, ids), "case__person_id")


def _providers(ids: list[int] | None, p: Period) -> dict[int, int]:
    qs = Provider.objects.filter(is_active=True, menus__status=Menu.Status.ACTIVE)
    return per_municipality(scoped(qs, ids))


register_indicator(
    Indicator(
        "participation_people",
        gettext_lazy("People supported to take part"),
        PARTICIPATION,
        _people,
        20,
    )
)
register_indicator(
    Indicator(
        "participation_providers",
        gettext_lazy("Cooperating providers"),
        PARTICIPATION,
        _providers,
        21,
    )
)


def participation_sections(mid: int, p: Period) -> list[Table]:
    menus = Menu.objects.filter(municipality_id=mid)
    new_made_to_order = menus.filter(
        made_for__isnull=False, created_at__date__range=(p.start, p.end)
    )
    assignments = Assignment.objects.filter(municipality_id=mid)
    started = assignments.filter(start_on__range=(p.start, p.end)).count()
    ended = assignments.filter(end_on__range=(p.start, p.end)).count()
    kinds = dict(Menu.Kind.choices)
    by_kind = menus.filter(status=Menu.Status.ACTIVE).values("kind").annotate(n=Count("pk"))
    return [
        Table(
            "participation",
            _("Participation support"),
            [_("Item"), _("Count")],
            [
                [_("Active menus"), menus.filter(status=Menu.Status.ACTIVE).count()],
                [_("New made-to-order menus"), new_made_to_order.count()],
                [_("Assignments started"), started],
                [_("Assignments ended"), ended],
                [_("People taking part"), _people([mid], p).get(mid, 0)],
            ],
        ),
        Table(
            "menus_by_kind",
            _("Active menus by kind"),
            [_("Kind"), _("Menus")],
            [[str(kinds[r["kind"]]), r["n"]] for r in by_kind.order_by("-n")],
        ),
    ]


register_section(20, participation_sections)
