"""Statistics of participation support (registered from ``ready()``)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.registry import register_indicator, register_section
from cases.statistics import (
    Parts,
    Period,
    Rows,
    Table,
    batched,
    indicator_key,
    part,
    per_municipality_part,
    run_parts,
    scoped,
    sum_by_municipality,
)
from participation.models import Assignment, Menu

PARTICIPATION = gettext_lazy("Participation support")
TAKING_PART = (
    Assignment.Status.TRIAL,
    Assignment.Status.ACTIVE,
    Assignment.Status.PAUSED,
    Assignment.Status.ENDED,
)


def _people(ids: list[int] | None, p: Period) -> QuerySet:
    """People who took part in the period (started before its end, not ended before it)."""
    qs = Assignment.objects.filter(status__in=TAKING_PART, start_on__lte=p.end).filter(
        Q(end_on__isnull=True) | Q(end_on__gte=p.start)
    )
    # The case is in the assignment's municipality: saying so lets the join to the cases
    # use their municipality index instead of reading every municipality's cases.
    qs = scoped(scoped(qs, ids), ids, "case__municipality_id")
    return per_municipality_part(qs, "case__person_id")


def _providers(ids: list[int] | None, p: Period) -> QuerySet:
    """Distinct providers that hosted someone in the period: a menu of theirs with an
    assignment taking part then (the period applies, as to the people)."""
    qs = Assignment.objects.filter(status__in=TAKING_PART, start_on__lte=p.end).filter(
        Q(end_on__isnull=True) | Q(end_on__gte=p.start)
    )
    return per_municipality_part(scoped(qs, ids), "menu__provider_id")


register_indicator(
    batched(
        "participation_people",
        gettext_lazy("People supported to take part"),
        PARTICIPATION,
        _people,
        20,
        business="participation",
        definition=gettext_lazy(
            "Distinct people on a menu (trial, active, paused or ended) at some time in the period."
        ),
    )
)
register_indicator(
    batched(
        "participation_providers",
        gettext_lazy("Cooperating providers"),
        PARTICIPATION,
        _providers,
        21,
        business="participation",
        definition=gettext_lazy(
            "Distinct providers hosting at least one person on one of their menus in the period."
        ),
    )
)


def participation_parts(mid: int, p: Period) -> Parts:
    return {
        # One pass over the menus: by kind and status, with the new made-to-order ones.
        "participation_menus": part(
            Menu.objects.filter(municipality_id=mid),
            dims=("kind", "status"),
            counts=(
                Count("pk"),
                Count(
                    "pk",
                    filter=Q(made_for__isnull=False, created_at__date__range=(p.start, p.end)),
                ),
            ),
        ),
        # One pass over the assignments: started and ended in the period.
        "participation_assignments": part(
            Assignment.objects.filter(municipality_id=mid),
            counts=(
                Count("pk", filter=Q(start_on__range=(p.start, p.end))),
                Count("pk", filter=Q(end_on__range=(p.start, p.end))),
            ),
        ),
    }


def participation_sections(mid: int, p: Period, rows: Rows | None = None) -> list[Table]:
    people_key = indicator_key("participation_people")
    if rows is None:
        rows = run_parts({**participation_parts(mid, p), people_key: _people([mid], p)})
    active: dict[str, int] = {}
    new_made_to_order = 0
    for _m, kind, status, _d2, n, made_to_order, _x in rows["participation_menus"]:
        new_made_to_order += made_to_order
        if status == Menu.Status.ACTIVE:
            active[kind] = active.get(kind, 0) + n
    started = sum(r[4] for r in rows["participation_assignments"])
    ended = sum(r[5] for r in rows["participation_assignments"])
    people = sum_by_municipality(rows[people_key]).get(mid, 0)
    kinds = dict(Menu.Kind.choices)
    return [
        Table(
            "participation",
            _("Participation support"),
            [_("Item"), _("Count")],
            [
                [_("Active menus"), sum(active.values())],
                [_("New made-to-order menus"), new_made_to_order],
                [_("Assignments started"), started],
                [_("Assignments ended"), ended],
                [_("People taking part"), people],
            ],
        ),
        Table(
            "menus_by_kind",
            _("Active menus by kind"),
            [_("Kind"), _("Menus")],
            [
                [str(kinds[kind]), n]
                for kind, n in sorted(active.items(), key=lambda i: (-i[1], i[0]))
            ],
        ),
    ]


register_section(20, participation_sections, participation_parts)
