"""Ranking participation menus for one person, with the reasons for each suggestion.

Pure functions over plain values so that the ranking can be tested on hand-built cases
and reused by the API. Needs (accommodations the person requires) are hard
constraints: a menu that lacks one is not suggested; everything else adds to a score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from participation.models import Accommodation, Menu, Weekday

WEIGHT_MADE_FOR_PERSON = 10
WEIGHT_INTEREST = 3
WEIGHT_AREA = 2
WEIGHT_DAY = 1
MAX_DAY_POINTS = 3
WEIGHT_NEED_MET = 1


@dataclass(frozen=True)
class Profile:
    case_id: int
    interests: Sequence[str] = ()
    area: str = ""
    days: Sequence[str] = ()
    needs: Sequence[str] = ()


@dataclass
class Suggestion:
    menu: Menu
    free_places: int
    score: float = 0
    reasons: list[str] = field(default_factory=list)


def _norm(tag: str) -> str:
    return tag.strip().casefold()


def rank_menus(profile: Profile, menus: Iterable[tuple[Menu, int]]) -> list[Suggestion]:
    """``menus``: (menu, free places) pairs. Returns suggestions, best first."""
    interests = {_norm(t) for t in profile.interests if t.strip()}
    needs = set(profile.needs)
    days = set(profile.days)
    suggestions = []
    for menu, free in menus:
        if menu.status != Menu.Status.ACTIVE or free <= 0:
            continue
        if menu.made_for_id and menu.made_for_id != profile.case_id and not menu.is_open:
            continue
        offered = set(menu.accommodations)
        if not needs <= offered:
            continue
        s = Suggestion(menu=menu, free_places=free)
        if menu.made_for_id == profile.case_id:
            s.score += WEIGHT_MADE_FOR_PERSON
            s.reasons.append(_("Made to order for this person"))
        shared = sorted({t for t in menu.interests if _norm(t) in interests})
        if shared:
            s.score += WEIGHT_INTEREST * len(shared)
            s.reasons.append(_("Interests: %(tags)s") % {"tags": "、".join(shared)})
        if profile.area and menu.area and _norm(profile.area) == _norm(menu.area):
            s.score += WEIGHT_AREA
            s.reasons.append(_("Area: %(area)s") % {"area": menu.area})
        common_days = [d for d in Weekday.values if d in days and d in menu.days]
        if common_days:
            s.score += WEIGHT_DAY * min(len(common_days), MAX_DAY_POINTS)
            s.reasons.append(
                _("Days: %(days)s")
                % {"days": "・".join(str(Weekday(d).label) for d in common_days)}
            )
        met = [n for n in Accommodation.values if n in needs]
        if met:
            s.score += WEIGHT_NEED_MET * len(met)
            s.reasons.append(
                _("Offers: %(needs)s")
                % {"needs": "、".join(str(Accommodation(n).label) for n in met)}
            )
        s.reasons.append(_("%(n)d place(s) free") % {"n": free})
        suggestions.append(s)
    suggestions.sort(key=lambda s: (-s.score, -s.free_places, s.menu.name, s.menu.pk or 0))
    return suggestions
