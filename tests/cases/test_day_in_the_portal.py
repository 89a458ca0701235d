"""Defects found using the portal as a new user would (wording, internal identifiers,
forms that lose what was typed, search by variant kanji); each test failed before."""

from __future__ import annotations

import datetime
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases.core.text import search_key
from cases.models import Consultation, Flag, IssueCategory, Person
from municipalities.audit import audit_write
from municipalities.models import AuditEvent

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent


# --- wording ---------------------------------------------------------------------------


def test_an_open_flag_reads_as_a_status_not_a_verb(client, personas, world_a):
    flag = Flag.objects.filter(municipality=personas.municipality_a, state="open").first()
    client.force_login(personas.manager_a)
    html = client.get(reverse("cases:flag_detail", args=[flag.pk])).content.decode()
    assert '<span class="status">未対応</span>' in html
    assert '<span class="status">開く</span>' not in html
    # The link on the case timeline still opens (a verb where it is one).
    assert str(Flag.State.OPEN.label) == "未対応"


@pytest.mark.parametrize(
    ("url_name", "persona"),
    [
        ("cases:agency_list", "caseworker_a"),
        ("participation:provider_list", "coordinator_a"),
        ("community:place_register", "community_worker_a"),
    ],
)
def test_organisations_and_places_are_headed_by_name_not_full_name(
    client, personas, world_a, url_name, persona
):
    client.force_login(personas.all()[persona])
    html = client.get(reverse(url_name)).content.decode()
    assert "<th>名称</th>" in html
    assert "<th>氏名</th>" not in html


def test_the_audit_names_pages_and_concerns_in_words(client, personas, world_a):
    for page in ("dashboard", "concern_queue", "participation_inbox", "matching"):
        audit_write(
            user=personas.caseworker_a,
            municipality_id=personas.municipality_a.pk,
            action=AuditEvent.Action.VIEW,
            detail={"page": page, "cases": [world_a.case.pk]},
        )
    audit_write(
        user=personas.community_worker_a,
        municipality_id=personas.municipality_a.pk,
        action=AuditEvent.Action.VIEW,
        obj=world_a.concern,
    )
    client.force_login(personas.manager_a)
    html = client.get("/audit/").content.decode()
    cells = re.findall(r"<td>([^<]*)</td></tr>", html)
    for code in ("dashboard", "concern_queue", "participation_inbox", "matching"):
        assert code not in cells
    for words in ("ダッシュボード", "地域からの気づき", "マッチング"):
        assert words in cells
    assert f"気づき #{world_a.concern.pk}" in html
    assert "気になること #" not in html


def test_the_lists_page_shows_names_not_codes(client, personas, world_a):
    client.force_login(personas.manager_a)
    html = client.get(reverse("cases:master_data")).content.decode()
    assert "8050" in html  # the category's name
    for code in ("p8050", "community_program", "<code>"):
        assert code not in html
    # A manager adds an entry without typing a code: one is made.
    response = client.post(
        reverse("cases:master_data"),
        {"kind": "category", "name": "外国人住民の生活", "field": "other"},
    )
    assert response.status_code == 302
    entry = IssueCategory.objects.get(name="外国人住民の生活")
    assert entry.code == "own_1"
    client.post(
        reverse("cases:master_data"), {"kind": "category", "name": "災害", "field": "other"}
    )
    assert IssueCategory.objects.get(name="災害").code == "own_2"


def test_select_boxes_ask_to_choose_instead_of_dashes(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:intake")).content.decode()
    assert "---------" not in html
    assert "選択してください" in html
    html = client.get(reverse("cases:case_agencies", args=[world_a.case.pk])).content.decode()
    assert "---------" not in html
    assert "指定しない" in html  # the optional support meeting


# --- the intake form -----------------------------------------------------------------


def intake_data(world, **overrides):
    data = {
        "person-name": "新規 太郎",
        "person-name_kana": "シンキ タロウ",
        "occurred_at": "2026-04-01T10:00",
        "method": world.consultation.method_id,
        "route": world.case.route_id,
        "summary": "来所。家賃の滞納について相談。",
        "assigned_to": "",
    }
    return {**data, **overrides}


def test_a_future_birth_date_shows_the_banner_too(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    future = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    response = client.post(
        reverse("cases:intake"), intake_data(world_a, **{"person-birth_date": future})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error" role="alert"' in html
    assert "保存されていません" in html


def test_sex_is_optional_and_empty_means_not_recorded(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:intake")).content.decode()
    label = re.search(r'<label for="id_person-sex">(.*?)</label>', html, re.S).group(1)
    assert "*" not in label
    response = client.post(
        reverse("cases:intake"), intake_data(world_a, **{"person-sex": "", "not_a_duplicate": "on"})
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Person.objects.get(name="新規 太郎").sex == Person.Sex.UNRECORDED


def test_choosing_the_person_on_the_duplicate_hint_keeps_what_was_typed(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    data = intake_data(
        world_a,
        **{"person-name": world_a.person.name, "person-name_kana": world_a.person.name_kana},
    )
    hint = client.post(reverse("cases:intake"), data).content.decode()
    assert 'name="choose_person"' in hint
    response = client.post(reverse("cases:intake"), {**data, "choose_person": world_a.person.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "来所。家賃の滞納について相談。" in html  # the summary typed before
    assert f'name="existing_person" value="{world_a.person.pk}"' in html
    assert "2026-04-01T10:00" in html
    # Nothing was saved by choosing.
    assert not world_a.person.cases.exclude(pk=world_a.case.pk).exists()
    # Another agency's person cannot be chosen this way.
    client.force_login(personas.other_agency_a)
    response = client.post(reverse("cases:intake"), {**data, "choose_person": world_a.person.pk})
    assert response.status_code == 404


# --- long notes, the roster preview, contrast, favicon ---------------------------------


def test_a_long_note_is_folded_on_the_case_page(client, personas, world_a):
    Consultation.objects.filter(pk=world_a.consultation.pk).update(summary="長" * 10_000)
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:case_detail", args=[world_a.case.pk])).content.decode()
    assert '<details class="note-fold">' in html
    assert "10000文字" in html


def test_the_roster_preview_puts_the_button_before_the_rows(client, personas):
    from tests.conftest import ROSTER_FY2022
    from tests.municipalities.test_admin import upload

    client.force_login(personas.system_admin)
    response = upload(client, ROSTER_FY2022.read_bytes(), "roster_fy2022.csv", expected_total=133)
    html = client.get(response["Location"]).content.decode()
    assert html.index('name="file_sha256"') < html.index('id="roster-report"')


def _contrast(foreground: str, background: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_green_badges_are_readable_at_their_size():
    css = (ROOT / "portal" / "static" / "portal" / "portal.css").read_text()
    rule = re.search(r"\.badge\.ok \{ background: (#\w{6}); color: (#\w{6}); \}", css)
    assert rule is not None
    assert _contrast(rule.group(2), rule.group(1)) >= 4.5


def test_every_page_names_its_icon(client, personas):
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:dashboard")).content.decode()
    assert re.search(r'<link rel="icon" href="[^"]*favicon\.svg"', html)
    assert (ROOT / "portal" / "static" / "portal" / "favicon.svg").exists()


# --- variant kanji in name search ------------------------------------------------------


@pytest.mark.parametrize(
    ("registered", "typed"),
    [
        ("髙橋 一郎", "高橋"),
        ("齋藤 花子", "斎藤"),
        ("渡邊 健", "渡辺"),
        ("廣田 実", "広田"),
        ("山﨑 直子", "山崎"),
        ("𠮷田 茂", "吉田"),
        ("濱田 和子", "浜田"),
        ("櫻井 翔太", "桜井"),
    ],
)
def test_name_search_finds_variant_kanji_both_ways(client, personas, world_a, registered, typed):
    from cases.core import person_create

    person = person_create(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        name=registered,
        name_kana="テスト",
    )
    assert search_key(registered.split()[0]) == search_key(typed)
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:person_search"), {"q": typed}).content.decode()
    assert registered in html  # shown as registered
    html = client.get(reverse("cases:person_search"), {"q": registered.split()[0]}).content.decode()
    assert registered in html
    assert Person.objects.get(pk=person.pk).name == registered


def test_the_migration_folds_the_names_stored_before(personas, world_a):
    """What the data migration does for rows written before the folding."""
    import importlib

    from django.apps import apps

    person = Person.objects.get(pk=world_a.person.pk)
    Person.objects.filter(pk=person.pk).update(name="髙橋 花子", search_name="髙橋花子")
    migration = importlib.import_module("cases.migrations.0015_fold_kanji_variants")
    migration.forwards(apps, None)
    assert Person.objects.get(pk=person.pk).search_name == "高橋花子"


# --- what make run prints ----------------------------------------------------------------


def test_the_scan_says_how_many_flags_are_open_not_only_raised(personas, world_a):
    from tests.cases.test_referral_engine import open_case

    open_case(personas, categories=["isolation"], days_ago=30)
    out = StringIO()
    call_command("scan_referrals", stdout=out)
    call_command("scan_referrals", stdout=out)  # raises nothing the second time
    last = out.getvalue().split(personas.municipality_a.code)[-1]
    assert "raised      0" in last
    assert re.search(r"open +[1-9]", last)


def test_the_welcome_prints_the_address_and_the_logins(settings, fy2022_roster):
    settings.DEBUG = True  # the demo's known password is for development only
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False
    call_command("scan_referrals", stdout=StringIO())
    out = StringIO()
    call_command("demo_welcome", "--url", "http://127.0.0.1:8000/", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    assert "a-caseworker" in text
    assert settings.DEMO_PASSWORD in text
    assert "Open flags" in text


def test_a_person_found_links_to_their_open_cases(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:person_search"), {"q": "やまだ"}).content.decode()
    assert f'href="{reverse("cases:case_detail", args=[world_a.case.pk])}"' in html
    assert world_a.case.number in html


def test_demo_staff_have_names_that_read_as_names():
    """「相談 花子」 in running text reads as "consultation 花子": the demo's staff have
    ordinary surnames, not their role's word."""
    from demo.staff import DEMO_TENANTS

    role_words = ("相談", "参加", "地域", "管理", "協働", "松江", "豊中")
    names = [a.display_name for _code, accounts in DEMO_TENANTS.values() for a in accounts]
    assert names
    assert [n for n in names if n.split()[0] in role_words] == []


def test_each_way_to_handle_a_flag_is_its_own_card(client, personas, world_a):
    """Snooze and dismiss were stacked in one card, the button touching the next heading."""
    flag = Flag.objects.filter(municipality=personas.municipality_a, state="open").first()
    client.force_login(personas.manager_a)
    html = client.get(reverse("cases:flag_detail", args=[flag.pk])).content.decode()
    cards = re.findall(r'<section class="card">(.*?)</section>', html, re.S)
    snooze = [c for c in cards if 'value="snooze"' in c]
    dismiss = [c for c in cards if 'value="dismiss"' in c]
    assert len(snooze) == 1
    assert len(dismiss) == 1
    assert snooze != dismiss
