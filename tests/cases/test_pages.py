"""The caseworker's workspace through the browser's eyes (Django test client)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.collaboration import services as collaboration_services
from cases.consultation import services as consultation_services
from cases.consultation.queries import FoundPerson, OpenCase
from cases.core import services as core_services
from cases.core.queries import case_get_for_user, cases_visible_to
from cases.core.text import search_key as query_key
from cases.models import Case, Consultation, ContactRoute, IssueCategory, MeetingCase, Person
from cases.registry import get_rule
from municipalities.models import AuditEvent, User
from tests.markup import old_and_new
from tests.worlds import master

pytestmark = pytest.mark.django_db


def intake_data(**overrides):
    data = {
        "person-name": "山田 太郎",
        "person-name_kana": "やまだ たろう",
        "person-sex": "male",
        "person-birth_date": "1972-06-01",
        "person-address": "豊中市中桜塚1-1-1",
        "person-phone_mobile": "090-0000-1234",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "method": master(
            __import__("cases.models", fromlist=["ConsultationMethod"]).ConsultationMethod, "phone"
        ).pk,
        "route": master(ContactRoute, "family").pk,
        "categories": [master(IssueCategory, "hikikomori").pk, master(IssueCategory, "p8050").pk],
        "primary_category": master(IssueCategory, "p8050").pk,
        "summary": "母親から電話。息子が10年ほど自宅にこもっている。",
        "follow_up_on": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
    }
    data.update(overrides)
    return data


# --- search -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        *("やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "山田", "山田花子", "ヤマダ　ハナコ", "はなこ", "ﾊﾅｺ"),
        # Shorter than a trigram: one or two characters, in any script.
        *("花", "花子", "ハナ", "はな", "ﾊﾅ", "子"),
    ],
)
def test_name_search_matches_any_script_width_and_spacing(client, personas, world_a, query):
    client.force_login(personas.caseworker_a)
    response = client.get(reverse("cases:person_search"), {"q": query})
    assert response.status_code == 200
    assert "山田 花子" in response.content.decode()


@pytest.mark.parametrize("query", ["大城", "ｵｵ", "%_"])
def test_a_key_shorter_than_a_trigram_is_not_offered_to_the_trigram_index(personas, query):
    """A key of one or two characters has no trigram: its condition is a substring test
    that no index serves (the trigram index would return every person of the country),
    and it finds the same persons as ``LIKE`` would, wildcards taken as text."""
    from cases.consultation.queries import search_condition

    for name in ("大城 太郎", "大山 城", "オオシロ", "100%_達成"):
        core_services.person_create(
            user=personas.caseworker_a, municipality=personas.municipality_a, name=name
        )
    short = Person.objects.filter(search_condition(query, None))
    assert " LIKE " not in str(short.query).upper()
    expected = {p.pk for p in Person.objects.all() if query_key(query) in p.search_name}
    expected |= {p.pk for p in Person.objects.all() if query_key(query) in p.search_kana}
    assert {p.pk for p in short} == expected
    assert expected
    assert " LIKE " in str(Person.objects.filter(search_condition("大城太", None)).query).upper()


def test_birth_date_narrows_the_search(client, personas, world_a):
    core_services.person_create(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        name="山田 花江",
        name_kana="ヤマダ ハナエ",
        birth_date=datetime.date(1990, 1, 1),
    )
    client.force_login(personas.caseworker_a)
    html = client.get(
        reverse("cases:person_search"), {"q": "やまだ", "birth_date": "1990-01-01"}
    ).content.decode()
    assert "山田 花江" in html
    assert "山田 花子" not in html


def test_search_escapes_what_it_shows(client, personas):
    client.force_login(personas.caseworker_a)
    core_services.person_create(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        name="<script>alert(1)</script>",
        name_kana="テスト",
    )
    html = client.get(reverse("cases:person_search"), {"q": "<script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_search_is_audited(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    client.get(reverse("cases:person_search"), {"q": "やまだ"})
    event = AuditEvent.objects.filter(action="search").get()
    assert event.user == personas.caseworker_a
    assert event.detail["q"] == "やまだ"
    assert event.detail["results"] == [world_a.person.pk]


def test_search_query_count_is_constant(client, personas, world_a, django_assert_num_queries):
    client.force_login(personas.caseworker_a)
    url = reverse("cases:person_search")
    client.get(url, {"q": "やま"})
    # session, user, membership (the session, renewed under a minute ago, is not
    # written), search, the found persons' open cases (one read, to link them), audit
    # write (head moved on, event, head signed)
    with django_assert_num_queries(8):
        client.get(url, {"q": "やま"})
    for i in range(5):
        core_services.person_create(
            user=personas.caseworker_a,
            municipality=personas.municipality_a,
            name=f"山本 {i}",
            name_kana=f"ヤマモト {'イロハニホ'[i]}",
            birth_date=datetime.date(1950 + i, 4, 1),
        )
    with django_assert_num_queries(8):
        html = client.get(url, {"q": "やま"}).content.decode()
    assert html.count("山本") >= 5
    assert "1954-04-01" in html  # each with its date of birth and age, in the same reads


# --- intake -------------------------------------------------------------------------


def test_intake_creates_person_case_and_first_consultation(client, personas):
    client.force_login(personas.caseworker_a)
    response = client.post(reverse("cases:intake"), intake_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:case_detail", args=[case.pk])
    assert case.person.name_kana == "ヤマダ タロウ"  # hiragana stored as katakana
    assert case.municipality == personas.municipality_a
    assert case.assigned_to is None or case.assigned_to == personas.caseworker_a
    assert case.case_categories.get(is_primary=True).category.code == "p8050"
    consultation = Consultation.objects.get()
    assert consultation.staff == personas.caseworker_a
    assert "10年" in consultation.summary
    assert AuditEvent.objects.filter(action="create", case_id=case.pk).count() >= 2


def test_phone_note_needs_only_the_essentials(client, personas):
    """A phone call: name, method, route and the note. Everything else can wait."""
    client.force_login(personas.caseworker_a)
    data = intake_data(
        **{
            "person-name_kana": "",
            "person-sex": "unrecorded",
            "person-birth_date": "",
            "person-address": "",
            "person-phone_mobile": "",
            "categories": [],
            "primary_category": "",
            "follow_up_on": "",
        }
    )
    response = client.post(reverse("cases:intake"), data)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "国への報告" in page  # the case page warns what is missing


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"person-name": ""}, "この項目は必須です"),
        ({"summary": ""}, "この項目は必須です"),
        ({"person-name_kana": "yamada"}, "ふりがな"),
        ({"person-birth_date": "2999-01-01"}, "未来"),
        ({"person-birth_date": "1990-02-30"}, "日付を正しく入力してください"),
        ({"occurred_at": "2099-01-01T10:00"}, "未来"),
        ({"occurred_at": "2999-01-01T10:00"}, "2100年"),
        ({"method": "999999"}, "正しく選択してください"),
        ({"summary": "x" * 10001}, "文字数が多すぎます"),
        ({"summary": "制御\x07文字"}, "制御文字"),
        ({"person-email": "not-an-email"}, "メールアドレス"),
    ],
)
def test_bad_intake_input_shows_a_japanese_message_and_saves_nothing(
    client, personas, overrides, field_message
):
    client.force_login(personas.caseworker_a)
    response = client.post(reverse("cases:intake"), intake_data(**overrides))
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert not Person.objects.exists()
    assert not Case.objects.exists()
    assert not Consultation.objects.exists()


def test_intake_shows_likely_duplicates_before_creating(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    data = intake_data(
        **{
            "person-name": "山田　花子",
            "person-name_kana": "ﾔﾏﾀﾞ ﾊﾅｺ",
            "person-birth_date": "1944-05-01",
        }
    )
    response = client.post(reverse("cases:intake"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "既に登録されています" in html
    assert f'name="choose_person" value="{world_a.person.pk}"' in html
    assert Person.objects.count() == 2  # world_a's two, nothing new
    # Confirming it is someone else creates the new person.
    response = client.post(reverse("cases:intake"), {**data, "not_a_duplicate": "on"})
    assert response.status_code == 302
    assert Person.objects.count() == 3


def test_intake_for_a_found_person_reuses_them(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    data = {k: v for k, v in intake_data().items() if not k.startswith("person-")}
    response = client.post(
        reverse("cases:intake") + f"?person={world_a.person.pk}",
        {**data, "existing_person": world_a.person.pk},
    )
    assert response.status_code == 302
    assert Case.objects.filter(person=world_a.person).count() == 2


def test_intake_refuses_another_municipalitys_person(client, personas, world_b):
    client.force_login(personas.caseworker_a)
    data = {k: v for k, v in intake_data().items() if not k.startswith("person-")}
    response = client.post(reverse("cases:intake"), {**data, "existing_person": world_b.person.pk})
    assert response.status_code == 404
    assert Case.objects.filter(municipality=personas.municipality_a).count() == 0


# --- case page ----------------------------------------------------------------------


def test_case_page_shows_timeline_household_consent_and_plan(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:case_detail", args=[world_a.case.pk])).content.decode()
    for text in (
        "山田 花子",
        "民生委員から連絡",
        "山田 次郎",
        "支援のため",
        "v1",
        "第1回 重層的支援会議",
        "参加支援",
    ):
        assert text in html, text
    event = AuditEvent.objects.filter(action="view", case_id=world_a.case.pk).latest("at")
    assert event.user == personas.caseworker_a
    assert event.ip_address == "127.0.0.1"


def test_case_page_query_count_does_not_grow_with_rows(
    client, personas, world_a, django_assert_num_queries
):
    client.force_login(personas.caseworker_a)
    url = reverse("cases:case_detail", args=[world_a.case.pk])
    client.get(url)
    with django_assert_num_queries(QUERIES_CASE_PAGE):
        client.get(url)
    build_more(personas, world_a)
    with django_assert_num_queries(QUERIES_CASE_PAGE):
        client.get(url)


def test_a_case_read_names_its_caseworker_and_leaves_the_account_unread(
    personas, world_a, django_assert_num_queries
):
    expected = str(User.objects.get(pk=world_a.case.assigned_to_id))
    user = personas.caseworker_a
    assert "password" not in str(cases_visible_to(user).query)
    case = case_get_for_user(user, world_a.case.pk)
    unread = case.assigned_to.get_deferred_fields()
    assert {"password", "last_login", "email", "is_superuser", "session_generation"} <= unread
    assert not unread & set(User.NAME_FIELDS)
    with django_assert_num_queries(0):
        assert str(case.assigned_to) == expected


def test_an_account_from_its_names_is_shown_as_read_whole(personas):
    account = personas.caseworker_a
    account.display_name, account.last_name = "", "相談"
    names = [getattr(account, name) for name in User.NAME_FIELDS]
    assert str(User.from_names(account.pk, names)) == str(account)
    assert str(User.from_names(account.pk, [None, None, None, "kw"])) == "kw"
    assert User.from_names(None, names) is None
    with pytest.raises(ValueError, match="shorter"):
        User.from_names(account.pk, names[:2])


# session, user, membership (the session is not written: renewed less than a minute
# ago); case (+person, route, assignee);
# one UNION ALL of the case's rows (consultations, plans, meeting items, referrals, status
# events, household members, flags, issues, agencies, and the participation and community
# timeline kinds); consents; consent agencies (prefetch); audit write (head moved on,
# event, head signed); one UNION ALL of the assessment card's rows (versions, genogram,
# ecomap: cases.assessment.maps)
QUERIES_CASE_PAGE = 11


def test_case_page_shows_the_newest_timeline_entries_and_links_to_older_ones(
    client, personas, world_a, django_assert_num_queries
):
    from cases.core.timeline import TIMELINE_PAGE
    from cases.models import ConsultationMethod

    case = world_a.case
    start = timezone.now() - datetime.timedelta(days=400)
    Consultation.objects.bulk_create(
        Consultation(
            municipality=case.municipality,
            case=case,
            occurred_at=start + datetime.timedelta(days=i),
            method=master(ConsultationMethod, "phone"),
            staff=personas.caseworker_a,
            summary=f"定期連絡 {i:03d}",
        )
        for i in range(2 * TIMELINE_PAGE)
    )
    client.force_login(personas.caseworker_a)
    url = reverse("cases:case_detail", args=[case.pk])
    html = client.get(url).content.decode()
    assert html.count('<li class="tl-') == TIMELINE_PAGE
    assert f"定期連絡 {2 * TIMELINE_PAGE - 1:03d}" in html
    assert "定期連絡 000" not in html
    assert "?timeline=2" in html
    assert "古い記録を表示" in html
    with django_assert_num_queries(QUERIES_CASE_PAGE):
        html = client.get(url + "?timeline=3").content.decode()
    # The oldest entries are on the last page, which links back but not further.
    assert "定期連絡 000" in html
    assert "?timeline=2" in html
    assert "?timeline=4" not in html
    everything = set()
    for page in (1, 2, 3):
        html = client.get(f"{url}?timeline={page}").content.decode()
        everything |= {i for i in range(2 * TIMELINE_PAGE) if f"定期連絡 {i:03d}" in html}
    assert everything == set(range(2 * TIMELINE_PAGE))
    assert client.get(url + "?timeline=x").status_code == 200


def test_case_page_shows_open_flags_agencies_and_the_primary_issue_first(client, personas, world_a):
    from cases.models import Flag

    case = world_a.case
    case.agencies.add(world_a.agency, through_defaults={"municipality_id": case.municipality_id})
    Flag.objects.update_or_create(
        municipality=case.municipality,
        rule="out_of_touch",
        subject_type="case",
        subject_id=case.pk,
        defaults={
            "case": case,
            "audience": "caseworker",
            "as_of": timezone.localdate(),
            "state": Flag.State.OPEN,
            "resolved_at": None,
        },
    )
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert 'id="flags"' in html
    assert str(world_a.agency) in html
    assert str(get_rule("out_of_touch").title) in html
    primary = case.case_categories.get(is_primary=True).category
    assert f"◎ {primary.name}" in html


def build_more(personas, world):
    phone = master(
        __import__("cases.models", fromlist=["ConsultationMethod"]).ConsultationMethod, "phone"
    )
    for i in range(4):
        consultation_services.consultation_log(
            user=personas.caseworker_a,
            case=world.case,
            data=consultation_services.ConsultationData(
                occurred_at=timezone.now() - datetime.timedelta(hours=i + 1),
                method=phone,
                summary=f"追加の相談 {i}",
                follow_up_on=timezone.localdate(),
            ),
        )
    collaboration_services.plan_create(
        user=personas.caseworker_a,
        case=world.case,
        goals="改訂",
        review_on=timezone.localdate() + datetime.timedelta(days=30),
        actions=[(world.agency, "訪問"), (None, "電話")],
    )
    other = core_services.person_create(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        name="山田 三郎",
        name_kana="ヤマダ サブロウ",
    )
    core_services.household_add_member(
        user=personas.caseworker_a, case=world.case, person=other, relationship="grandchild"
    )


def test_dashboard_lists_my_cases_follow_ups_and_waiting_referrals(client, personas, world_a):
    collaboration_services.referral_create(
        user=personas.community_worker_a,
        case=world_a.case,
        from_program="community",
        to_program="consultation",
        reason="地域のサロンで気づき",
    )
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:dashboard")).content.decode()
    assert world_a.case.number in html
    assert "地域づくり" in html  # the waiting referral's origin
    assert "期限切れのフォローアップ" in html or "フォローアップ" in html


def test_dashboard_shows_the_oldest_waiting_referrals_and_links_to_the_inbox(
    client, personas, world_a, monkeypatch
):
    from cases.consultation import queries as consultation_queries

    monkeypatch.setattr(consultation_queries, "DASHBOARD_REFERRALS", 1)
    collaboration_services.referral_create(
        user=personas.community_worker_a,
        case=world_a.case,
        from_program="community",
        to_program="consultation",
        reason="地域のサロンで気づき",
    )
    collaboration_services.referral_create(
        user=personas.caseworker_a,
        case=world_a.case,
        from_program="consultation",
        to_program="agency",
        to_agency=world_a.agency,
        reason="関係機関へ",
    )
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:dashboard")).content.decode()
    assert html.count(reverse("cases:referral_inbox")) >= 1
    assert "続きは依頼の受信箱で" in html


def test_dashboard_query_count_is_constant(client, personas, world_a, django_assert_num_queries):
    client.force_login(personas.caseworker_a)
    url = reverse("cases:dashboard")
    client.get(url)
    # session, user, membership (the session, renewed under a minute ago, is not written), my open
    # cases, follow-ups, waiting referrals, open flags, audit write (head moved on,
    # event, head signed)
    with django_assert_num_queries(10):
        client.get(url)
    build_more(personas, world_a)
    for i in range(3):
        consultation_services.intake_record(
            user=personas.caseworker_a,
            municipality=personas.municipality_a,
            person=None,
            person_fields={"name": f"追加 {i}", "name_kana": "ツイカ"},
            route=master(ContactRoute, "self"),
            categories=[],
            primary_category=None,
            consultation=consultation_services.ConsultationData(
                occurred_at=timezone.now(),
                method=master(
                    __import__("cases.models", fromlist=["ConsultationMethod"]).ConsultationMethod,
                    "visit",
                ),
                summary="来所",
                follow_up_on=timezone.localdate(),
            ),
            assigned_to=personas.caseworker_a,
        )
    with django_assert_num_queries(10):
        html = client.get(url).content.decode()
    # Each new case twice: among my open cases and among today's follow-ups.
    assert html.count("追加 ") >= 6


@pytest.mark.parametrize("persona", ["coordinator_a", "community_worker_a", "system_admin"])
def test_other_roles_cannot_open_the_workspace(client, personas, world_a, persona):
    client.force_login(personas.all()[persona])
    for name in (
        "cases:dashboard",
        "cases:person_search",
        "cases:intake",
        "cases:meeting_list",
        "cases:agency_list",
    ):
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("cases:case_detail", args=[world_a.case.pk])).status_code == 404
    assert client.get(reverse("cases:person_detail", args=[world_a.person.pk])).status_code == 404


def test_coordinator_sees_referral_name_contact_and_reason_but_not_notes(client, personas, world_a):
    client.force_login(personas.coordinator_a)
    html = client.get(reverse("cases:referral_detail", args=[world_a.referral.pk])).content.decode()
    assert "山田 花子" in html
    assert "090-0000-0001" in html
    assert "息子の社会参加" in html
    assert "民生委員から連絡" not in html  # consultation notes stay with consultation
    assert reverse("cases:case_detail", args=[world_a.case.pk]) not in html
    inbox = client.get(reverse("cases:referral_inbox")).content.decode()
    assert "山田 花子" in inbox
    assert AuditEvent.objects.filter(user=personas.coordinator_a, action="view").exists()


def test_community_worker_does_not_see_a_referral_to_participation(client, personas, world_a):
    client.force_login(personas.community_worker_a)
    url = reverse("cases:referral_detail", args=[world_a.referral.pk])
    assert client.get(url).status_code == 404


def test_coordinator_accepts_a_referral(client, personas, world_a):
    client.force_login(personas.coordinator_a)
    url = reverse("cases:referral_respond", args=[world_a.referral.pk])
    response = client.post(url, {"action": "accept", "note": "面談日を調整します"})
    assert response.status_code == 302
    world_a.referral.refresh_from_db()
    assert world_a.referral.status == "accepted"


def test_manager_reads_the_audit_trail_caseworker_cannot(client, personas, world_a):
    url = reverse("cases:case_audit", args=[world_a.case.pk])
    client.force_login(personas.caseworker_a)
    client.get(reverse("cases:case_detail", args=[world_a.case.pk]))
    assert client.get(url).status_code == 404
    client.force_login(personas.manager_a)
    html = client.get(url).content.decode()
    assert personas.caseworker_a.display_name in html
    assert "127.0.0.1" in html


def test_status_change_form_refuses_forbidden_moves(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    url = reverse("cases:case_status", args=[world_a.case.pk])
    response = client.post(url, {"to_status": "intake"})
    assert response.status_code == 400
    response = client.post(url, {"to_status": "closed", "reason": ""})
    assert response.status_code == 400
    assert "終結の理由" in response.content.decode()
    world_a.case.refresh_from_db()
    assert world_a.case.status == "planning"


def test_manager_adds_a_municipal_category_that_other_municipalities_do_not_see(client, personas):
    client.force_login(personas.manager_a)
    url = reverse("cases:master_data")
    response = client.post(
        url,
        {
            "kind": "category",
            "code": "foreign_resident",
            "name": "外国人住民の生活",
            "field": "other",
        },
    )
    assert response.status_code == 302
    assert (
        IssueCategory.objects.get(code="foreign_resident").municipality == personas.municipality_a
    )
    # Reused code, national code and bad code are refused.
    for code in ("foreign_resident", "debt", "Bad Code!"):
        response = client.post(
            url, {"kind": "category", "code": code, "name": "x", "field": "other"}
        )
        assert response.status_code == 400, code
    client.force_login(personas.caseworker_b)
    assert "外国人住民の生活" not in client.get(url).content.decode()
    client.force_login(personas.caseworker_a)
    assert "外国人住民の生活" in client.get(reverse("cases:intake")).content.decode()
    assert client.post(url, {"kind": "route", "code": "x1", "name": "x"}).status_code == 403


def test_case_page_timeline_names_each_status_change(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:case_detail", args=[world_a.case.pk])).content.decode()
    assert "受付 → アセスメント" in html
    assert "アセスメント → プラン作成" in html


def test_household_flags_can_be_recorded_for_every_member(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    self_member = world_a.case.household.members.get(person=world_a.person)
    url = reverse("cases:household_member_edit", args=[self_member.pk])
    response = client.post(url, {"relationship": "self", "is_carer": "on", "works": "false"})
    assert response.status_code == 302
    self_member.refresh_from_db()
    assert self_member.is_carer
    assert self_member.works is False
    # The case's own person stays 本人.
    response = client.post(url, {"relationship": "mother", "works": "unknown"})
    assert response.status_code == 400


def test_list_pages_record_whose_cases_they_showed(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    client.get(reverse("cases:dashboard"))
    event = AuditEvent.objects.filter(detail__page="dashboard").latest("pk")
    assert world_a.case.pk in event.detail["cases"]
    assert event.user == personas.caseworker_a
    client.force_login(personas.coordinator_a)
    client.get(reverse("participation:inbox"))
    assert AuditEvent.objects.filter(detail__page="participation_inbox").exists()


def test_a_sensitive_case_asks_for_the_purpose_of_access(client, personas, world_a):
    case = world_a.case
    case.is_sensitive = True
    case.save(update_fields=["is_sensitive"])
    client.force_login(personas.caseworker_a)
    url = reverse("cases:case_detail", args=[case.pk])
    html = client.get(url).content.decode()
    assert "アクセスの目的" in html
    assert "山田 花子" not in html
    assert "民生委員から連絡" not in html
    response = client.post(url, {"purpose": "x"})
    assert response.status_code == 400  # too short to be a purpose
    response = client.post(url, {"purpose": "本人からの電話に対応するため"})
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "山田 花子" in html
    event = AuditEvent.objects.filter(case_id=case.pk, detail__purpose__isnull=False).get()
    assert event.detail["purpose"] == "本人からの電話に対応するため"
    assert event.user == personas.caseworker_a


def test_form_pages_that_show_a_case_are_audited(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    for name in (
        "cases:consultation_add",
        "cases:plan_add",
        "cases:household_edit",
        "cases:referral_add",
        "cases:consent_add",
        "cases:case_edit",
    ):
        before = AuditEvent.objects.filter(action="view", case_id=world_a.case.pk).count()
        assert client.get(reverse(name, args=[world_a.case.pk])).status_code == 200
        after = AuditEvent.objects.filter(action="view", case_id=world_a.case.pk).count()
        assert after == before + 1, name


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [("2999-01-01", "日付"), ("2099-01-01", "未来"), ("1899-12-31", "生年")],
)
def test_person_edit_refuses_an_impossible_date_of_birth(
    client, personas, world_a, birth_date, message
):
    """The edit form applies the service's rule for a date of birth; nothing is saved."""
    from tests.cases.test_optimistic_locking import form_data

    client.force_login(personas.caseworker_a)
    url = reverse("cases:person_edit", args=[world_a.person.pk])
    data = form_data(client.get(url))
    before = Person.objects.get(pk=world_a.person.pk)
    data["birth_date"] = birth_date
    response = client.post(url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    after = Person.objects.get(pk=world_a.person.pk)
    assert (after.birth_date, after.version) == (before.birth_date, before.version)


def test_meeting_page_reviews_the_decided_plan_while_a_newer_draft_exists(
    client, personas, world_a
):
    """評価 applies to the plan in force (v1, decided), not to the draft of v2."""
    decided = world_a.plan
    assert decided.status == "decided"
    draft = collaboration_services.plan_create(
        user=personas.caseworker_a,
        case=world_a.case,
        goals="次の段階の目標",
        review_on=timezone.localdate() + datetime.timedelta(days=60),
        actions=[(None, "訪問の継続")],
    )
    client.force_login(personas.caseworker_a)
    response = client.post(
        reverse("cases:meeting_add"),
        {
            "kind": "multiagency",
            "held_on": timezone.localdate().isoformat(),
            "title": "第2回 重層的支援会議",
            "item_0_case": world_a.case.number,
            "item_0_decision": "reviewed",
            "item_0_review_on": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
            "item_0_note": "順調",
            "attendee_0_name": "包括 職員",
            "attendee_0_organisation": "地域包括支援センター",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    item = MeetingCase.objects.filter(case=world_a.case, decision="reviewed").get()
    assert item.plan == decided
    draft.refresh_from_db()
    assert draft.status == "draft"


# The dashboard's row of an open case as its template wrote it before ``open_case_row``.
OLD_OPEN_CASE_ROW = (
    "{% load i18n %}{% for case in cases %}\n"
    "      <tr><td><a href=\"{% url 'cases:case_detail' case.pk %}\">{{ case.number }}</a></td>"
    '<td>{{ case.person.name }}{% if case.is_sensitive %} <span class="badge warn">'
    '{% translate "sensitive" %}</span>{% endif %}</td><td><span class="status '
    'status-{{ case.status }}">{{ case.get_status_display }}</span></td>'
    '<td>{{ case.route }}</td><td>{{ case.opened_on|date:"Y-m-d" }}</td></tr>\n'
    "    {% endfor %}"
)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_open_case_row_is_the_markup_of_the_template_it_replaced(language):
    """Cases of every status, sensitive or not, with a route named in both languages or
    in Japanese only, and names that need escaping."""
    from django.utils import translation

    from cases.models import Person

    old, new = old_and_new(
        OLD_OPEN_CASE_ROW,
        "{% load case_rows %}{% for case in cases %}{% open_case_row case %}{% endfor %}",
    )
    routes = [
        ContactRoute(pk=1, name="民生委員 & <児童委員>", name_en="Welfare <volunteer>"),
        ContactRoute(pk=2, name="本人", name_en=""),
    ]
    cases = [
        Case(
            pk=100 + i,
            number=f"2026-{i:05d}",
            status=status,
            is_sensitive=i % 2 == 1,
            opened_on=datetime.date(2026, 4, 1) + datetime.timedelta(days=i),
            person=Person(pk=200 + i, name=f"山田 & <花子> {i}"),
            route=routes[i % 2],
        )
        for i, status in enumerate(Case.Status.values)
    ]
    # The dashboard reads them as values (``OpenCase``): the same rows.
    values = [
        OpenCase(
            c.pk,
            c.number,
            c.status,
            c.is_sensitive,
            c.opened_on,
            c.person.name,
            c.route.name,
            c.route.name_en,
        )
        for c in cases
    ]
    with translation.override(language):
        assert new.render({"cases": cases}) == old.render({"cases": cases})
        assert new.render({"cases": values}) == old.render({"cases": cases})


def test_the_dashboard_reads_each_open_case_as_the_case_itself(personas, world_a):
    """Every column the row shows comes from the case read as values, in both
    languages."""
    from django.utils import translation

    from cases.consultation.queries import dashboard

    Case.objects.filter(pk=world_a.case.pk).update(is_sensitive=True)
    listed = dashboard(personas.caseworker_a)["my_open_cases"]
    assert [c.pk for c in listed] == [world_a.case.pk]
    case = Case.objects.select_related("person", "route").get(pk=world_a.case.pk)
    for language in ("ja", "en"):
        with translation.override(language):
            for c in listed:
                assert (c.number, c.status, c.is_sensitive, c.opened_on) == (
                    case.number,
                    case.status,
                    case.is_sensitive,
                    case.opened_on,
                )
                assert c.person.name == case.person.name
                assert c.route == str(case.route)
                assert c.get_status_display() == case.get_status_display()


# The name search's row of a person as its template wrote it before ``person_row``.
OLD_PERSON_ROW = (
    "{% load i18n %}{% for p in results %}\n"
    "      <tr><td><a href=\"{% url 'cases:person_detail' p.pk %}\">{{ p.name }}</a></td>"
    '<td>{{ p.name_kana }}</td><td>{{ p.birth_date|date:"Y-m-d"|default:"—" }}'
    '{% if p.age is not None %}（{{ p.age }}{% translate "yrs" %}）{% endif %}</td>'
    "<td>{% for c in p.open_case_list %}<a href=\"{% url 'cases:case_detail' c.pk %}\" "
    'class="nowrap">{{ c.number }}</a>{% if not forloop.last %} {% endif %}{% empty %}—'
    "{% endfor %}</td>\n"
    "      <td><a href=\"{% url 'cases:intake' %}?person={{ p.pk }}\">"
    '{% translate "New intake for this person" %}</a></td></tr>\n'
    "    {% endfor %}"
)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_person_row_is_the_markup_of_the_template_it_replaced(language):
    """Persons with and without a date of birth, with no, one or two open cases, and
    names that need escaping."""
    from django.utils import translation

    from cases.models import Person

    old, new = old_and_new(
        OLD_PERSON_ROW, "{% load case_rows %}{% for p in results %}{% person_row p %}{% endfor %}"
    )
    results = []
    for i in range(6):
        person = Person(
            pk=300 + i,
            name=f"山田 & <花子> {i}",
            name_kana=f"ヤマダ <ハナコ> {i}" if i % 2 else "",
            birth_date=datetime.date(1950 + i, 2, 28) if i % 3 else None,
        )
        person.open_case_list = [
            Case(pk=400 + i * 10 + n, number=f"2026-{i:03d}{n:02d}") for n in range(i % 3)
        ]
        results.append(person)
    # The search reads them as values (``FoundPerson``): the same rows.
    found = [
        FoundPerson(p.pk, p.name, p.name_kana, p.birth_date, p.open_case_list) for p in results
    ]
    with translation.override(language):
        assert new.render({"results": results}) == old.render({"results": results})
        assert new.render({"results": found}) == old.render({"results": results})


def test_the_search_reads_each_person_and_their_open_cases_as_the_models(personas, world_a):
    """What the search lists of each person (and which of their cases) is what the
    person and the cases the searcher may see say, closed and other agencies' cases
    left out."""
    from cases.consultation.queries import person_search
    from tests.worlds import case_of_new_person

    person = world_a.case.person
    person.birth_date = datetime.date(1960, 2, 29)
    person.save()
    second = core_services.case_open(
        user=personas.caseworker_a, person=person, route=world_a.case.route
    )
    closed = core_services.case_open(
        user=personas.caseworker_a, person=person, route=world_a.case.route
    )
    Case.objects.filter(pk=closed.pk).update(status=Case.Status.CLOSED)
    case_of_new_person(
        personas.other_agency_a, personas.municipality_a, "山田 別子", "ヤマダ ベツコ"
    )
    found = person_search(personas.caseworker_a, "やまだ")
    assert [p.pk for p in found] == [person.pk]
    (listed,) = found
    assert (listed.name, listed.name_kana, listed.birth_date, listed.age) == (
        person.name,
        person.name_kana,
        person.birth_date,
        person.age,
    )
    assert [(c.pk, c.number) for c in listed.open_case_list] == [
        (c.pk, c.number)
        for c in Case.objects.filter(pk__in=[second.pk, world_a.case.pk]).order_by(
            "-opened_on", "-pk"
        )
    ]
