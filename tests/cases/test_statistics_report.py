"""The 事業-by-事業 report on a hand-built fiscal year whose every figure is known by hand:
the five sections, the 実施計画 and its targets, trends, the survey workbook and the API."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cases.collaboration import services as collaboration_services
from cases.models import IndicatorTarget, Meeting, MeetingCase, Referral
from cases.programs import CONSULTATION
from cases.statistics import services as plan_services
from cases.statistics.queries import Period, municipality_statistics
from cases.statistics.report import business_sections, plan_for, targets_of, trends
from community import services as community_services
from participation.models import Assignment, Menu, Provider
from portal.errors import CaseRuleError
from tests.cases.test_statistics import FY, dataset  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

BUSINESSES = ("comprehensive", "participation", "community", "outreach", "multiagency")
DIRECT = {f"op_{key}": "direct" for key in BUSINESSES}


def session(personas, day, organisations, attendance):
    return community_services.platform_session_record(
        user=personas.community_worker_a,
        municipality=personas.municipality_a,
        held_on=day,
        theme="地域の居場所",
        attendance=attendance,
        organisations=organisations,
    )


def provider_hosting(personas, case, name, start_on, end_on=None):
    """A provider with one menu and one person on it from ``start_on`` to ``end_on``."""
    m = personas.municipality_a
    provider = Provider.objects.create(municipality=m, name=name, kind="company")
    menu = Menu.objects.create(
        municipality=m,
        provider=provider,
        name=f"{name}の体験",
        description="作業体験",
        kind="work_experience",
        capacity=3,
        created_by=personas.coordinator_a,
    )
    if start_on is None:
        return provider
    referral = case.referrals.first() or collaboration_services.referral_create(
        user=personas.caseworker_a,
        case=case,
        from_program=CONSULTATION,
        to_program="participation",
        reason="作業体験",
    )
    Assignment.objects.create(
        municipality=m,
        case=case,
        menu=menu,
        referral=referral,
        status=Assignment.Status.ENDED if end_on else Assignment.Status.ACTIVE,
        start_on=start_on,
        end_on=end_on,
        coordinator=personas.coordinator_a,
    )
    return provider


@pytest.fixture
def year(personas, dataset):  # noqa: F811
    """On top of ``dataset`` (3 new cases, 5 consultations of which 1 home visit in FY2025):
    - platform: April 社協+A社 (5 heads), June 社協+NPO法人B (4 heads), FY2024 C社;
      参加機関数 = 3 (社協 once), not the 9 heads;
    - providers: P1 hosting from May 2025 (counted), P2 hosting until March 2025 (the year
      before: not counted), P3 with a menu and nobody (not counted); 協力事業者数 = 1;
    - 多機関協働: 2 重層的支援会議 and 1 支援会議; decisions 1 支援決定, 1 評価, 1 終結;
      hand-overs to the team: one accepted and one waiting in the year (2), one declined and
      one the year before (not counted)."""
    d = datetime.date
    session(personas, d(2025, 4, 20), ["社協", "A社"], {"swc": 2, "company": 3})
    session(personas, d(2025, 6, 15), ["社協 ", "NPO法人B", "社協"], {"swc": 1, "npo": 3})
    session(personas, d(2025, 3, 1), ["C社"], {"company": 1})
    provider_hosting(personas, dataset, "P1", d(2025, 5, 1))
    provider_hosting(personas, dataset, "P2", d(2024, 10, 1), d(2025, 3, 31))
    provider_hosting(personas, dataset, "P3", None)
    m = personas.municipality_a

    def meeting(kind, day, decision=None):
        item = Meeting.objects.create(
            municipality=m, kind=kind, held_on=day, title="会議", created_by=personas.manager_a
        )
        if decision:
            MeetingCase.objects.create(
                municipality=m, meeting=item, case=dataset, decision=decision
            )
        return item

    meeting(Meeting.Kind.MULTIAGENCY, d(2025, 5, 10), MeetingCase.Decision.DECIDE_PLAN)
    meeting(Meeting.Kind.MULTIAGENCY, d(2025, 8, 10), MeetingCase.Decision.CLOSE)
    meeting(Meeting.Kind.MULTIAGENCY, d(2025, 11, 10), MeetingCase.Decision.REVIEWED)
    meeting(Meeting.Kind.SUPPORT, d(2025, 7, 1))
    meeting(Meeting.Kind.MULTIAGENCY, d(2025, 3, 10))  # the year before
    for day, status in (
        (d(2025, 6, 1), Referral.Status.ACCEPTED),
        (d(2026, 3, 31), Referral.Status.PROPOSED),
        (d(2025, 9, 1), Referral.Status.DECLINED),
        (d(2025, 3, 31), Referral.Status.ACCEPTED),  # the year before
    ):
        referral = Referral.objects.create(
            municipality=m,
            case=dataset,
            from_program=CONSULTATION,
            to_program="multiagency",
            reason="複合的な課題",
            status=status,
            acknowledge_by=day,
            created_by=personas.caseworker_a,
        )
        noon = datetime.datetime.combine(day, datetime.time(12), datetime.UTC)
        Referral.objects.filter(pk=referral.pk).update(created_at=noon)
    return dataset


def figures(mid, period):
    stats = municipality_statistics(mid, period)
    sections = business_sections(stats.counts, targets_of(mid, period.fiscal_year), None)
    return {s.key: {r.code: r.actual for r in s.rows} for s in sections}, sections


def test_five_sections_each_with_its_figures_known_by_hand(personas, year):
    mid = personas.municipality_a.pk
    by_business, sections = figures(mid, Period.of(FY))
    assert [s.label for s in sections] == [
        "包括的相談支援事業",
        "参加支援事業",
        "地域づくり事業",
        "アウトリーチ等を通じた継続的支援事業",
        "多機関協働事業",
    ]
    # Consultations: 10 Apr, 2 May, 1 Jun 2025 and 31 Mar 2026 (31 Mar 2025 is the year before).
    assert by_business["comprehensive"] == {"consultations_received": 3, "consultations_logged": 4}
    assert by_business["participation"]["participation_providers"] == 1  # P1 only
    assert by_business["community"]["community_organisations"] == 3  # not 9 heads
    # From the outreach register (empty in this year), not guessed from home visits.
    assert by_business["outreach"] == {
        "outreach_people": 0,
        "outreach_contacts": 0,
        "outreach_handovers": 0,
    }
    assert by_business["multiagency"] == {
        "multiagency_handovers": 2,
        "multiagency_meetings": 3,
        "support_meetings": 1,
        "plans_made": 0,
        "plans_decided": 1,
        "plans_reviewed": 1,
        "plans_closed": 1,
    }
    outreach = next(s for s in sections if s.key == "outreach")
    assert outreach.note == ""  # the register exists: nothing is missing
    assert all(r.definition for s in sections for r in s.rows)


def test_the_period_applies_to_organisations_and_providers(personas, year):
    mid = personas.municipality_a.pk
    april, _s = figures(mid, Period.of(FY, 4, 4))
    assert april["community"]["community_organisations"] == 2  # 社協, A社
    assert april["participation"]["participation_providers"] == 0  # P1 starts in May
    may_june, _s = figures(mid, Period.of(FY, 5, 6))
    assert may_june["community"]["community_organisations"] == 2  # 社協, NPO法人B
    assert may_june["participation"]["participation_providers"] == 1
    before, _s = figures(mid, Period.of(FY - 1))
    assert before["community"]["community_organisations"] == 1  # C社
    assert before["participation"]["participation_providers"] == 1  # P2


def test_plan_saves_targets_and_the_page_compares(client, personas, year):
    client.force_login(personas.manager_a)
    url = reverse("cases:statistics_plan") + f"?fiscal_year={FY}"
    response = client.post(
        url,
        {
            "title": "第1期実施計画",
            "first_year": FY,
            "last_year": FY + 2,
            "policies": "断らない相談",
            **DIRECT,
            "op_participation": "contracted",
            "contractors_participation": "NPO法人つなぐ",
            "community_organisations": "6",
            "consultations_received": "4",
        },
    )
    assert response.status_code == 302
    plan = plan_for(personas.municipality_a.pk, FY)
    assert plan.first_year == FY
    assert plan.businesses.count() == 5
    assert IndicatorTarget.objects.get(indicator="community_organisations").plan == plan
    html = client.get(reverse("cases:statistics"), {"fiscal_year": FY}).content.decode()
    assert "第1期実施計画" in html
    assert "計画期間 令和7年度〜令和9年度（令和7年度版）" in html  # fiscal years as 令和
    assert "50%" in html  # 3 of 6 organisations
    assert "75%" in html  # 3 of 4 new cases
    assert "委託" in html
    assert "NPO法人つなぐ" in html
    # The next year starts from this version until it is saved for that year.
    html = client.get(reverse("cases:statistics_plan"), {"fiscal_year": FY + 1}).content.decode()
    assert "NPO法人つなぐ" in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"first_year": FY, "last_year": FY, "consultations_received": "-3"}, "0以上の整数"),
        ({"first_year": FY + 1, "last_year": FY}, "終了年度が開始年度より前"),
        ({"first_year": FY, "last_year": FY, "op_participation": "contracted"}, "委託先"),
        # Not a fiscal year offered (令和3年度 to ten years ahead), not a number.
        ({"first_year": 1999, "last_year": FY}, "正しく選択してください"),
        ({"first_year": "令和7", "last_year": FY}, "正しく選択してください"),
    ],
)
def test_bad_plan_input_is_refused_with_a_japanese_message(client, personas, fields, message):
    client.force_login(personas.manager_a)
    url = reverse("cases:statistics_plan") + f"?fiscal_year={FY}"
    response = client.post(url, {**DIRECT, **fields})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert plan_for(personas.municipality_a.pk, FY) is None  # nothing half-saved


def test_plan_service_refuses_out_of_range_year_and_negative_target(personas):
    data = plan_services.PlanData(first_year=1999, last_year=1999)
    with pytest.raises(CaseRuleError, match="年度は2021年度から"):
        plan_services.implementation_plan_save(
            user=personas.manager_a,
            municipality=personas.municipality_a,
            fiscal_year=1999,
            data=data,
        )
    data = plan_services.PlanData(
        first_year=FY, last_year=FY, targets={"consultations_received": -1}
    )
    with pytest.raises(CaseRuleError) as error:
        plan_services.implementation_plan_save(
            user=personas.manager_a, municipality=personas.municipality_a, fiscal_year=FY, data=data
        )
    assert error.value.field == "consultations_received"
    with pytest.raises(CaseRuleError):
        plan_services.implementation_plan_save(
            user=personas.caseworker_a,
            municipality=personas.municipality_a,
            fiscal_year=FY,
            data=plan_services.PlanData(first_year=FY, last_year=FY),
        )


def test_reversed_month_range_gives_a_japanese_message(client, personas):
    client.force_login(personas.manager_a)
    response = client.get(
        reverse("cases:statistics"), {"fiscal_year": FY, "first_month": 3, "last_month": 4}
    )
    assert "終了月が開始月より前になっています。" in response.content.decode()


def test_trends_month_by_month_against_the_year_before(client, personas, year):
    mid = personas.municipality_a.pk
    found = {t.code: t for t in trends(mid, FY, "comprehensive")}
    logged = found["consultations_logged"]
    # April 1 (phone), May 1 (home visit), June 1, March 1; the year before: March 1.
    assert logged.this_year == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert logged.last_year == [0] * 11 + [1]
    organisations = {t.code: t for t in trends(mid, FY, "community")}["community_organisations"]
    assert organisations.this_year[:3] == [2, 0, 2]
    client.force_login(personas.manager_a)
    response = client.get(
        reverse("cases:statistics_trends"), {"fiscal_year": FY, "business": "community"}
    )
    assert response.status_code == 200
    assert "trend-community_organisations" in response.content.decode()


def test_survey_workbook_one_sheet_per_business_with_code_and_reiwa_year(client, personas, year):
    client.force_login(personas.manager_a)
    response = client.get(reverse("cases:statistics"), {"fiscal_year": FY, "export": "xlsx"})
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[:5] == [
        "1_包括的相談支援事業",
        "2_参加支援事業",
        "3_地域づくり事業",
        "4_アウトリーチ等を通じた継続的支援事業",
        "5_多機関協働事業",
    ]  # then the detailed tables, their small counts suppressed too
    routes = workbook["6_経路別の新規ケース"]
    assert {r[0]: r[1] for r in routes.iter_rows(min_row=2, values_only=True)} == {
        "民生委員・児童委員": "<5",
        "本人": "<5",
    }
    sheet = workbook["3_地域づくり事業"]
    assert sheet["A1"].value == "地域づくり事業"
    assert sheet["B2"].value == personas.municipality_a.code
    assert sheet["B4"].value == "令和7年度"
    assert sheet["A9"].value == "指標"
    rows = {r[0]: r for r in sheet.iter_rows(min_row=10, values_only=True)}
    # The file leaves the municipality: 1–4 become "<5", and no share gives them away.
    assert rows["参加機関数（プラットフォーム）"][1] == "<5"
    comprehensive = workbook["1_包括的相談支援事業"]
    logged = {r[0]: r for r in comprehensive.iter_rows(min_row=10, values_only=True)}
    assert logged["相談件数（延べ）"][1] == "<5"  # 4
    assert logged["相談件数（延べ）"][4].startswith("期間中に記録された相談")
    multiagency = workbook["5_多機関協働事業"]
    made = {r[0]: r for r in multiagency.iter_rows(min_row=10, values_only=True)}
    assert made["支援プラン作成件数"][1] == 0  # zero is shown as zero


def test_statistics_pages_keep_their_query_count_as_data_grow(
    client, personas, year, django_assert_num_queries
):
    """The page: session, user, membership, targets, plan, its 事業, the statistics, …;
    the trends page reads every month of every indicator in one statement."""
    plan_services.implementation_plan_save(
        user=personas.manager_a,
        municipality=personas.municipality_a,
        fiscal_year=FY,
        data=plan_services.PlanData(
            first_year=FY, last_year=FY, businesses={"community": ("direct", "")}
        ),
    )
    client.force_login(personas.manager_a)
    page, trend = reverse("cases:statistics"), reverse("cases:statistics_trends")
    client.get(page, {"fiscal_year": FY})
    client.get(trend, {"fiscal_year": FY})
    with django_assert_num_queries(7) as page_queries:
        client.get(page, {"fiscal_year": FY})
    with django_assert_num_queries(4) as trend_queries:
        client.get(trend, {"fiscal_year": FY, "business": "community"})
    for n in range(5):
        session(personas, datetime.date(2025, 9, 1 + n), [f"団体{n}", "社協"], {"npo": 2})
    provider_hosting(personas, year, "P4", datetime.date(2025, 9, 1))
    with django_assert_num_queries(len(page_queries.captured_queries)):
        client.get(page, {"fiscal_year": FY})
    with django_assert_num_queries(len(trend_queries.captured_queries)):
        client.get(trend, {"fiscal_year": FY, "business": "community"})


# --- API ------------------------------------------------------------------------------------


def api_url(personas, municipality=None):
    code = (municipality or personas.municipality_a).code
    return reverse("api-statistics-municipality", args=[code])


def test_api_manager_gets_the_five_sections(client, personas, year):
    client.force_login(personas.manager_a)
    response = client.get(api_url(personas), {"fiscal_year": FY})
    assert response.status_code == 200
    body = response.json()
    assert body["fiscal_year"] == FY
    assert [b["key"] for b in body["businesses"]] == list(BUSINESSES)
    community = next(b for b in body["businesses"] if b["key"] == "community")
    assert {r["code"]: r["actual"] for r in community["rows"]}["community_organisations"] == 3
    ranged = client.get(api_url(personas), {"fiscal_year": FY, "first_month": 4, "last_month": 4})
    assert ranged.json()["end"] == "2025-04-30"


def test_api_other_municipality_is_404_and_other_roles_403(client, personas, year):
    client.force_login(personas.manager_a)
    assert client.get(api_url(personas, personas.municipality_b)).status_code == 404
    client.force_login(personas.caseworker_b)
    assert client.get(api_url(personas)).status_code == 404
    client.force_login(personas.caseworker_a)
    response = client.get(api_url(personas))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    client.force_login(personas.system_admin)
    assert client.get(api_url(personas)).status_code == 404  # never a municipality's figures


def test_api_sysadmin_gets_national_aggregates_only(client, personas, year):
    url = reverse("api-statistics-national")
    client.force_login(personas.manager_a)
    assert client.get(url).status_code == 403
    client.force_login(personas.system_admin)
    response = client.get(url, {"fiscal_year": FY})
    assert response.status_code == 200
    body = response.json()
    organisations = next(i for i in body["indicators"] if i["code"] == "community_organisations")
    assert organisations["total"] == "<5"  # 3, suppressed
    assert organisations["prefectures"] == {personas.municipality_a.prefecture: "<5"}
    assert "統計 一" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"fiscal_year": FY, "first_month": 3, "last_month": 4}, "last_month"),
        ({"fiscal_year": 1990}, "fiscal_year"),
        ({"fiscal_year": FY, "first_month": 13}, "first_month"),
    ],
)
def test_api_bad_inputs_give_a_structured_error(client, personas, params, field):
    client.force_login(personas.manager_a)
    response = client.get(api_url(personas), params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert error["message"] == "入力内容が正しくありません。" or error["message"]


def test_api_query_count_does_not_grow(client, personas, year, django_assert_num_queries):
    client.force_login(personas.manager_a)
    url = api_url(personas)
    client.get(url, {"fiscal_year": FY})
    # session, user, membership, targets, plan, the statistics, the audit event (4), …
    with django_assert_num_queries(9) as before:
        client.get(url, {"fiscal_year": FY})
    for n in range(3):
        session(personas, datetime.date(2025, 10, 1 + n), [f"会{n}"], {"npo": 1})
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(url, {"fiscal_year": FY})


def test_a_program_takes_over_a_business_and_its_indicators_follow(personas, year):
    """An outreach register declares the 事業 again (no note) and adds its indicator: the
    section shows it beside today's figure."""
    from cases.models import Case
    from cases.registry import (
        Business,
        _indicators,
        get_business,
        register_business,
        register_indicator,
    )
    from cases.statistics.queries import batched, per_municipality_part, scoped

    before = get_business("outreach")
    register_business(Business("outreach", "アウトリーチ等を通じた継続的支援事業", 40))
    register_indicator(
        batched(
            "outreach_contacts_test",
            "接触回数",
            "outreach",
            lambda ids, p: per_municipality_part(scoped(Case.objects.all(), ids)),
            41,
            business="outreach",
            definition="テスト",
        )
    )
    try:
        by_business, sections = figures(personas.municipality_a.pk, Period.of(FY))
        outreach = next(s for s in sections if s.key == "outreach")
        assert outreach.note == ""
        assert set(by_business["outreach"]) == {
            "outreach_people",
            "outreach_contacts",
            "outreach_handovers",
            "outreach_contacts_test",
        }
    finally:
        register_business(before)
        _indicators.pop("outreach_contacts_test")


def test_existing_targets_move_into_a_plan_of_their_year(personas):
    """The data migration: targets saved before the 実施計画 existed get a plan of their
    municipality and fiscal year (its period that year alone)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("cases.migrations.0017_targets_into_plans")
    m = personas.municipality_a
    for code, target in (("consultations_received", 6), ("plans_made", 2)):
        IndicatorTarget.objects.create(
            municipality=m, fiscal_year=FY, indicator=code, target=target
        )
    migration.forwards(apps, None)
    plan = plan_for(m.pk, FY)
    assert (plan.first_year, plan.last_year) == (FY, FY)
    assert set(plan.targets.values_list("indicator", flat=True)) == {
        "consultations_received",
        "plans_made",
    }
    migration.forwards(apps, None)  # again: nothing new
    assert plan_for(m.pk, FY).pk == plan.pk


def test_national_page_and_api_keep_their_query_count(
    client, personas, year, django_assert_num_queries
):
    client.force_login(personas.system_admin)
    page, api = reverse("cases:national_statistics"), reverse("api-statistics-national")
    client.get(page, {"fiscal_year": FY})
    client.get(api, {"fiscal_year": FY})
    with django_assert_num_queries(5) as page_queries:
        client.get(page, {"fiscal_year": FY})
    # session, user, membership (none), the roster, every count (no session write)
    with django_assert_num_queries(4) as api_queries:
        client.get(api, {"fiscal_year": FY})
    for n in range(4):
        session(personas, datetime.date(2025, 11, 1 + n), [f"全国{n}"], {"npo": 1})
    with django_assert_num_queries(len(page_queries.captured_queries)):
        client.get(page, {"fiscal_year": FY})
    with django_assert_num_queries(len(api_queries.captured_queries)):
        client.get(api, {"fiscal_year": FY})
