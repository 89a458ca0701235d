"""Community building: concern → consultation, the reporter's limited view, platform
outcome → provider/menu, registers, links between cases and places."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Consultation
from community import services
from community.models import ActivityRecord, Concern, Outcome, PlatformSession
from participation.models import Menu, Provider
from portal.errors import CaseRuleError

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def concern(personas, **kwargs):
    data = {
        "reporter_kind": "resident",
        "observation": "ゴミ出しの日を間違えることが増えた",
        "urgency": "normal",
        "subject_name": "佐々木 ハル",
        "subject_kana": "ササキ ハル",
        **kwargs,
    }
    return services.concern_record(
        user=personas.community_worker_a, municipality=personas.municipality_a, **data
    )


# --- concern → consultation ---------------------------------------------------------


def test_concern_becomes_a_case_with_the_route_and_a_first_consultation(client, personas):
    c = concern(personas, reporter_kind="minsei", reporter_name="民生委員 田中")
    client.force_login(personas.caseworker_a)
    response = client.post(
        reverse("community:concern_open_case", args=[c.pk]),
        {"person-name": "佐々木 ハル", "person-name_kana": "ささき はる", "person-sex": "female"},
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == "taken_up"
    assert c.case is not None
    case = c.case
    assert case.route.code == "minsei"
    assert case.person.name_kana == "ササキ ハル"
    first = Consultation.objects.get(case=case)
    assert "ゴミ出し" in first.summary
    assert first.visitor_name == "民生委員 田中"
    assert response["Location"] == reverse("cases:case_detail", args=[case.pk])
    page = client.get(response["Location"]).content.decode()
    assert "ゴミ出し" in page  # the concern is on the case timeline


def test_concern_joins_an_existing_case(client, personas, world_a):
    c = concern(personas, subject_name="山田 花子")
    client.force_login(personas.caseworker_a)
    detail = client.get(reverse("community:concern_detail", args=[c.pk])).content.decode()
    assert "山田 花子" in detail  # duplicates hint shows the known person
    response = client.post(
        reverse("community:concern_link", args=[c.pk]), {"case_number": world_a.case.number}
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.case == world_a.case
    assert c.person == world_a.person
    # No consultation is invented; the concern is on the case page's timeline.
    assert not world_a.case.consultations.filter(summary__contains="ゴミ出し").exists()
    page = client.get(reverse("cases:case_detail", args=[world_a.case.pk])).content.decode()
    assert "ゴミ出しの日を間違える" in page


def test_a_concern_is_handled_once(personas, world_a):
    c = concern(personas)
    services.concern_close(user=personas.caseworker_a, concern=c, note="家族が対応済み")
    with pytest.raises(CaseRuleError, match="対応済み"):
        services.concern_link_case(user=personas.caseworker_a, concern=c, case=world_a.case)
    with pytest.raises(CaseRuleError, match="理由"):
        services.concern_close(user=personas.caseworker_a, concern=concern(personas), note=" ")


def test_queue_shows_urgent_first(client, personas):
    concern(personas, subject_name="通常 一", urgency="normal")
    concern(personas, subject_name="至急 二", urgency="urgent")
    concern(personas, subject_name="早め 三", urgency="soon")
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("community:concern_queue")).content.decode()
    assert html.index("至急 二") < html.index("早め 三") < html.index("通常 一")


def test_queue_query_count_is_constant(client, personas, django_assert_num_queries):
    concern(personas)
    client.force_login(personas.caseworker_a)
    url = reverse("community:concern_queue")
    client.get(url)
    # session, user, membership (the session, renewed under a minute ago, is not written),
    # concerns (+reporter, case, handler), audit write (head moved on, event, head signed)
    with django_assert_num_queries(7):
        client.get(url)
    for i in range(5):
        concern(personas, subject_name=f"追加 {i}")
    with django_assert_num_queries(7):
        html = client.get(url).content.decode()
    assert html.count("追加 ") == 5


def test_reporter_sees_only_that_it_was_received_and_taken_up(client, personas):
    c = concern(personas)
    client.force_login(personas.community_worker_a)
    html = client.get(reverse("community:my_concerns")).content.decode()
    assert "受付済み" in html
    assert "佐々木 ハル" in html
    case = services.concern_open_case(user=personas.caseworker_a, concern=c)
    html = client.get(reverse("community:my_concerns")).content.decode()
    assert "相談支援で対応中" in html
    assert case.number not in html
    assert reverse("cases:case_detail", args=[case.pk]) not in html
    # …and cannot open the concern, the queue or the case.
    assert client.get(reverse("community:concern_detail", args=[c.pk])).status_code == 404
    assert client.get(reverse("community:concern_queue")).status_code == 403
    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 404


def test_concern_form_is_phone_friendly_and_validates(client, personas):
    client.force_login(personas.community_worker_a)
    url = reverse("community:concern_add")
    html = client.get(url).content.decode()
    assert 'name="viewport"' in html
    assert 'type="radio"' in html
    response = client.post(url, {"urgency": "soon", "observation": "", "reporter_kind": "resident"})
    assert response.status_code == 400
    response = client.post(
        url, {"urgency": "later", "observation": "x", "reporter_kind": "resident"}
    )
    assert response.status_code == 400
    assert not Concern.objects.exists()
    response = client.post(
        url, {"urgency": "urgent", "observation": "数日姿を見ない", "reporter_kind": "shop"}
    )
    assert response.status_code == 302
    assert Concern.objects.get().urgency_rank == 0


# --- platform → participation ---------------------------------------------------------


def test_new_resource_becomes_a_provider_and_menu_in_one_step(client, personas):
    session = services.platform_session_record(
        user=personas.community_worker_a,
        municipality=personas.municipality_a,
        held_on=TODAY(),
        theme="企業と福祉の出会い",
        attendance={"company": 4, "npo": 2},
        outcomes=[
            ("new_resource", "倉庫の軽作業を受け入れたい", "豊中ロジ株式会社"),
            ("issue_raised", "移動手段がない", ""),
        ],
    )
    assert session.total_attendance == 6
    outcome = session.outcomes.get(kind="new_resource")
    client.force_login(personas.community_worker_a)
    url = reverse("community:outcome_to_provider", args=[outcome.pk])
    assert "豊中ロジ株式会社" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": "豊中ロジ株式会社",
            "kind": "company",
            "area": "南部",
            "menu_name": "倉庫の軽作業体験",
            "menu_kind": "work_experience",
            "menu_capacity": "2",
        },
    )
    assert response.status_code == 302
    outcome.refresh_from_db()
    assert outcome.provider.name == "豊中ロジ株式会社"
    assert outcome.menu.name == "倉庫の軽作業体験"
    assert outcome.menu.capacity == 2
    with pytest.raises(CaseRuleError, match="登録済み"):
        services.outcome_to_provider(
            user=personas.community_worker_a,
            outcome=outcome,
            provider_fields={"name": "二重", "kind": "company"},
        )
    issue = session.outcomes.get(kind="issue_raised")
    with pytest.raises(CaseRuleError, match="新たな社会資源"):
        services.outcome_to_provider(
            user=personas.community_worker_a,
            outcome=issue,
            provider_fields={"name": "x", "kind": "other"},
        )
    assert Provider.objects.count() == 1
    assert Menu.objects.count() == 1


def test_bad_platform_sessions_are_refused(personas):
    for kwargs, message in (
        ({"held_on": TODAY() + datetime.timedelta(days=1)}, "未来"),
        ({"attendance": {"company": -1}}, "負"),
        ({"attendance": {"aliens": 1}}, "不明"),
    ):
        data = {"held_on": TODAY(), "theme": "テーマ", "attendance": {}, **kwargs}
        with pytest.raises(CaseRuleError, match=message):
            services.platform_session_record(
                user=personas.community_worker_a, municipality=personas.municipality_a, **data
            )
    assert not PlatformSession.objects.exists()
    assert not Outcome.objects.exists()


# --- places ---------------------------------------------------------------------------


def test_activity_records_are_numbers_once_a_day(client, personas, world_a):
    client.force_login(personas.community_worker_a)
    url = reverse("community:activity_record_add", args=[world_a.place.pk])
    response = client.post(
        url, {"held_on": TODAY().isoformat(), "participants": "12", "volunteers": "3"}
    )
    assert response.status_code == 302
    response = client.post(
        url, {"held_on": TODAY().isoformat(), "participants": "5", "volunteers": "0"}
    )
    assert response.status_code == 400
    assert "記録済み" in response.content.decode()
    response = client.post(
        url, {"held_on": TODAY().isoformat(), "participants": "-2", "volunteers": "0"}
    )
    assert response.status_code == 400
    assert ActivityRecord.objects.get().participants == 12


def test_register_filters_and_query_count(client, personas, world_a, django_assert_num_queries):
    services.place_save(
        user=personas.community_worker_a,
        municipality=personas.municipality_a,
        name="子ども食堂 ひまわり",
        kind="children_cafeteria",
        organiser="NPO",
        organiser_kind="npo",
        area="南部",
        target_groups=["children"],
    )
    client.force_login(personas.caseworker_a)
    url = reverse("community:place_register")
    html = client.get(url, {"area": "南部"}).content.decode()
    assert "ひまわり" in html
    assert "ふれあいサロン" not in html
    client.get(url)
    # session, user, membership (the session, renewed under a minute ago, is not written),
    # areas, places (+last held, links)
    with django_assert_num_queries(5):
        client.get(url)
    for i in range(5):
        services.place_save(
            user=personas.community_worker_a,
            municipality=personas.municipality_a,
            name=f"サロン{i}",
            kind="salon",
            organiser="自治会",
            organiser_kind="residents",
            area=f"地区{i}",
        )
    with django_assert_num_queries(5):
        html = client.get(url).content.decode()
    assert html.count("サロン") >= 5


def test_caseworker_links_a_case_to_a_place_visible_on_the_case_page(client, personas, world_a):
    place = services.place_save(
        user=personas.community_worker_a,
        municipality=personas.municipality_a,
        name="認知症カフェ あおぞら",
        kind="dementia_cafe",
        organiser="特養あおぞら",
        organiser_kind="swc",
        area="北部",
    )
    client.force_login(personas.caseworker_a)
    url = reverse("community:case_place_add", args=[world_a.case.pk])
    response = client.post(url, {"place": place.pk, "since": TODAY().isoformat()})
    assert response.status_code == 302
    page = client.get(reverse("cases:case_detail", args=[world_a.case.pk])).content.decode()
    assert "認知症カフェ あおぞら" in page
    # A place of another municipality is not even offered.
    response = client.post(url, {"place": 10**6, "since": TODAY().isoformat()})
    assert response.status_code == 400


def test_community_worker_sees_no_consultation_data(client, personas, world_a):
    client.force_login(personas.community_worker_a)
    for url in (
        reverse("cases:case_detail", args=[world_a.case.pk]),
        reverse("cases:person_detail", args=[world_a.person.pk]),
        reverse("community:concern_detail", args=[world_a.concern.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (reverse("cases:dashboard"), reverse("community:concern_queue")):
        assert client.get(url).status_code == 403, url
    assert Case.objects.exists()


@pytest.mark.parametrize("status", [s.value for s in Concern.Status])
def test_concern_page_offers_handling_exactly_when_the_service_accepts_it(client, personas, status):
    c = concern(personas)
    Concern.objects.filter(pk=c.pk).update(status=status)
    c = Concern.objects.get(pk=c.pk)
    can_handle = services.concern_can_handle(c)
    assert can_handle == (status == "received")

    client.force_login(personas.caseworker_a)
    html = client.get(reverse("community:concern_detail", args=[c.pk])).content.decode()
    for name in ("concern_open_case", "concern_link", "concern_close"):
        assert (reverse(f"community:{name}", args=[c.pk]) in html) == can_handle, name

    try:
        services.concern_close(user=personas.caseworker_a, concern=c, note="見守りで対応")
        closed = True
    except CaseRuleError:
        closed = False
    assert closed == can_handle
