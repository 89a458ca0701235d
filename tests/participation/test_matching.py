"""Matching ranks menus by fit and explains each suggestion (hand-built cases)."""

from __future__ import annotations

from participation.matching import Profile, rank_menus
from participation.models import Menu


def menu(
    pk,
    name,
    *,
    interests=(),
    area="",
    days=(),
    acc=(),
    status="active",
    made_for=None,
    is_open=True,
    capacity=3,
):
    m = Menu(
        pk=pk,
        name=name,
        interests=list(interests),
        area=area,
        days=list(days),
        accommodations=list(acc),
        status=status,
        is_open=is_open,
        capacity=capacity,
        description="",
        kind="work_experience",
    )
    m.made_for_id = made_for
    return m


FARM = menu(
    1,
    "都市農園の手伝い",
    interests=["農作業", "屋外"],
    area="北部",
    days=["mon", "thu"],
    acc=["short_hours", "few_people"],
)
PC = menu(
    2,
    "物流センターのデータ入力",
    interests=["パソコン"],
    area="南部",
    days=["tue", "wed"],
    acc=["short_hours", "no_phone", "quiet"],
)
CAFE = menu(
    3, "カフェの接客体験", interests=["接客", "料理"], area="北部", days=["sat"], acc=["companion"]
)
LIBRARY = menu(
    4,
    "古書店の整理",
    interests=["読書", "パソコン"],
    area="北部",
    days=["mon", "tue"],
    acc=["short_hours", "quiet", "no_phone"],
)


def names(suggestions):
    return [s.menu.name for s in suggestions]


def test_withdrawn_young_man_who_likes_computers_and_cannot_phone():
    profile = Profile(
        case_id=10,
        interests=["パソコン", "読書"],
        area="北部",
        days=["mon", "tue"],
        needs=["no_phone"],
    )
    ranked = rank_menus(profile, [(FARM, 2), (PC, 1), (CAFE, 3), (LIBRARY, 1)])
    # The farm and the café do not offer "no phone calls": not suggested.
    assert names(ranked) == ["古書店の整理", "物流センターのデータ入力"]
    best = ranked[0]
    assert any("パソコン" in r and "読書" in r for r in best.reasons)
    assert any("北部" in r for r in best.reasons)
    assert best.score > ranked[1].score


def test_full_paused_and_someone_elses_made_to_order_menus_are_not_suggested():
    mine = menu(5, "オーダーメイド：本人向け", made_for=10, is_open=False)
    other = menu(6, "オーダーメイド：別の人", made_for=99, is_open=False)
    opened = menu(7, "オーダーメイド：公開済み", made_for=99, is_open=True)
    paused = menu(8, "休止中", status="paused")
    ranked = rank_menus(
        Profile(case_id=10), [(FARM, 0), (mine, 1), (other, 1), (opened, 1), (paused, 1)]
    )
    assert names(ranked)[0] == "オーダーメイド：本人向け"
    assert set(names(ranked)) == {"オーダーメイド：本人向け", "オーダーメイド：公開済み"}
    assert "本人のためのオーダーメイド" in " ".join(ranked[0].reasons)


def test_days_and_area_break_ties_and_free_places_are_shown():
    profile = Profile(case_id=1, interests=["農作業"], days=["thu"], area="北部")
    farm_b = menu(9, "別の農園", interests=["農作業"], area="南部", days=["fri"])
    ranked = rank_menus(profile, [(farm_b, 3), (FARM, 2)])
    assert names(ranked) == ["都市農園の手伝い", "別の農園"]
    assert any("木" in r for r in ranked[0].reasons)
    assert any("2" in r for r in ranked[0].reasons)


def test_without_a_profile_every_open_menu_with_places_is_listed():
    ranked = rank_menus(Profile(case_id=1), [(FARM, 1), (PC, 2), (CAFE, 0)])
    assert set(names(ranked)) == {FARM.name, PC.name}
    assert names(ranked)[0] == PC.name  # more free places first on equal score
