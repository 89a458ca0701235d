"""Fiscal-year statistics on a hand-built data set whose right answers are known."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cases.consultation import services as consultation_services
from cases.core import services as core_services
from cases.models import ConsultationMethod, ContactRoute, IndicatorTarget, IssueCategory
from cases.registry import indicators
from cases.statistics.queries import Period, suppress
from portal.exports import neutralise
from tests.worlds import master

pytestmark = pytest.mark.django_db

FY = 2025  # 令和7年度: 2025-04-01 .. 2026-03-31
STATISTICS_QUERIES = 6  # session, user, membership, targets, plan, statistics, …
DIRECT = {
    f"op_{key}": "direct"
    for key in ("comprehensive", "participation", "community", "outreach", "multiagency")
}
NATIONAL_QUERIES = 5


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def dataset(personas):
    """Three cases in FY2025 (two via 民生委員, one via the person), one in FY2024,
    consultations by phone and home visit, one case closed in the fiscal year."""
    user = personas.caseworker_a

    def case(name, opened, route, cats, visits):
        person = core_services.person_create(
            user=user, municipality=personas.municipality_a, name=name, name_kana="トウケイ"
        )
        c = core_services.case_open(
            user=user,
            person=person,
            route=master(ContactRoute, route),
            categories=[master(IssueCategory, x) for x in cats],
            opened_on=opened,
            assigned_to=user,
        )
        for day, method in visits:
            consultation_services.consultation_log(
                user=user,
                case=c,
                data=consultation_services.ConsultationData(
                    occurred_at=at(day), method=master(ConsultationMethod, method), summary="記録"
                ),
            )
        return c

    a = case(
        "統計 一",
        datetime.date(2025, 4, 10),
        "minsei",
        ["debt", "income"],
        [(datetime.date(2025, 4, 10), "phone"), (datetime.date(2025, 5, 2), "home_visit")],
    )
    case(
        "統計 二",
        datetime.date(2025, 6, 1),
        "minsei",
        ["debt"],
        [(datetime.date(2025, 6, 1), "phone")],
    )
    case(
        "統計 三",
        datetime.date(2026, 3, 31),
        "self",
        ["isolation"],
        [(datetime.date(2026, 3, 31), "visit")],
    )
    case(
        "統計 前年",
        datetime.date(2025, 3, 31),
        "self",
        ["debt"],
        [(datetime.date(2025, 3, 31), "phone")],
    )
    core_services.case_change_status(
        user=user, case=a, to_status="closed", reason="解決", on=datetime.date(2025, 9, 1)
    )
    return a


def table(tables, key):
    return {tuple(row[:-1]): row[-1] for row in next(t for t in tables if t.key == key).rows}


def test_indicators_and_sections_count_the_fiscal_year(personas, dataset):
    from cases.statistics.queries import consultation_sections

    mid = personas.municipality_a.pk
    period = Period.of(FY)
    counts = {i.code: i.count([mid], period).get(mid, 0) for i in indicators()}
    assert counts["consultations_received"] == 3  # the FY2024 case is not counted
    # Counted from the outreach register (none here), no longer guessed from home visits.
    assert counts["outreach_people"] == 0
    tables = consultation_sections(mid, period)
    assert table(tables, "cases_by_route") == {("民生委員・児童委員",): 2, ("本人",): 1}
    assert table(tables, "cases_by_category")[("債務",)] == 2
    assert table(tables, "consultations_by_method") == {("電話",): 2, ("訪問",): 1, ("来所",): 1}
    # The status history is read as of the end of the period (the closure was "now").
    by_status = table(tables, "cases_by_status")
    assert sum(by_status.values()) == 4


def test_a_month_range(personas, dataset):
    mid = personas.municipality_a.pk
    april_may = Period.of(FY, 4, 5)
    assert (april_may.start, april_may.end) == (
        datetime.date(2025, 4, 1),
        datetime.date(2025, 5, 31),
    )
    count = next(i for i in indicators() if i.code == "consultations_received")
    assert count.count([mid], april_may) == {mid: 1}
    assert Period.of(FY, 1, 3).start == datetime.date(2026, 1, 1)
    with pytest.raises(ValueError, match="ends before it starts"):
        Period.of(FY, 3, 4)  # March comes after April in a fiscal year


def test_small_counts_are_suppressed():
    assert [suppress(n) for n in (0, 1, 4, 5, 120)] == [0, "<5", "<5", 5, 120]


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "=HYPERLINK()"])
def test_formulas_are_neutralised(value):
    assert neutralise(value) == "'" + value
    assert neutralise("普通の値") == "普通の値"
    assert neutralise(-3) == -3


def test_manager_page_targets_and_exports(client, personas, dataset):
    client.force_login(personas.manager_a)
    url = reverse("cases:statistics")
    html = client.get(url, {"fiscal_year": FY}).content.decode()
    assert "令和7年度" in html
    assert "chart-data" in html
    plan = client.post(
        reverse("cases:statistics_plan") + f"?fiscal_year={FY}",
        {"first_year": FY, "last_year": FY + 2, "consultations_received": "6", **DIRECT},
    )
    assert plan.status_code == 302
    assert IndicatorTarget.objects.get(indicator="consultations_received").target == 6
    html = client.get(url, {"fiscal_year": FY}).content.decode()
    assert "50%" in html  # 3 of 6
    bad = client.post(
        reverse("cases:statistics_plan") + f"?fiscal_year={FY}",
        {"first_year": FY, "last_year": FY, "consultations_received": "-1", **DIRECT},
    )
    assert bad.status_code == 400
    assert "目標は0以上の整数で入力してください" in bad.content.decode()
    assert IndicatorTarget.objects.get().target == 6
    # A person's name that looks like a formula is neutralised in the export.
    core_services.person_create(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        name="=cmd|' /C calc'!A0",
        name_kana="ケイサン",
    )
    response = client.get(url, {"fiscal_year": FY, "export": "csv"})
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert "相談受付件数" in body
    assert "包括的相談支援事業" in body
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert any(row[:2] == ["民生委員・児童委員", "2"] for row in rows)
    response = client.get(url, {"fiscal_year": FY, "export": "xlsx"})
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) > 5  # one sheet per 事業, then the detailed tables
    from municipalities.models import AuditEvent

    assert AuditEvent.objects.filter(action="export", user=personas.manager_a).count() == 2


@pytest.mark.parametrize("persona", ["caseworker_a", "coordinator_a", "community_worker_a"])
def test_only_managers_see_municipal_statistics(client, personas, persona):
    client.force_login(personas.all()[persona])
    assert client.get(reverse("cases:statistics")).status_code == 403
    assert client.get(reverse("cases:national_statistics")).status_code == 403


def test_system_admin_sees_national_totals_with_suppression_and_no_person(
    client, personas, dataset
):
    client.force_login(personas.system_admin)
    assert client.get(reverse("cases:statistics")).status_code == 403
    response = client.get(reverse("cases:national_statistics"), {"fiscal_year": FY})
    html = response.content.decode()
    assert response.status_code == 200
    assert "大阪府" in html
    assert "&lt;5" in html
    assert "統計 一" not in html
    csv_body = client.get(
        reverse("cases:national_statistics"), {"fiscal_year": FY, "export": "csv"}
    ).content.decode()
    assert "<5" in csv_body
    assert "統計 一" not in csv_body


def test_statistics_page_query_count_does_not_grow(
    client, personas, dataset, django_assert_num_queries
):
    """Every section and indicator comes from one statement (UNION ALL of grouped counts),
    however many rows: session, user, membership, targets, the plan, the statistics (the
    session, renewed under a minute ago, is not written)."""
    client.force_login(personas.manager_a)
    url = reverse("cases:statistics")
    client.get(url, {"fiscal_year": FY})
    with django_assert_num_queries(STATISTICS_QUERIES):
        client.get(url, {"fiscal_year": FY})
    consultation_services.consultation_log(
        user=personas.caseworker_a,
        case=dataset,
        data=consultation_services.ConsultationData(
            occurred_at=at(datetime.date(2025, 7, 1)),
            method=master(ConsultationMethod, "accompany"),
            summary="記録",
        ),
    )
    with django_assert_num_queries(STATISTICS_QUERIES):
        client.get(url, {"fiscal_year": FY})


def test_national_statistics_query_count(client, personas, dataset, django_assert_num_queries):
    """Every indicator of every municipality in one statement."""
    client.force_login(personas.system_admin)
    url = reverse("cases:national_statistics")
    client.get(url, {"fiscal_year": FY})
    with django_assert_num_queries(NATIONAL_QUERIES):
        client.get(url, {"fiscal_year": FY})


def test_run_parts_gives_each_part_its_rows(personas, dataset):
    from cases.statistics.queries import consultation_parts, run_parts

    mid = personas.municipality_a.pk
    parts = consultation_parts(mid, Period.of(FY))
    together = run_parts(parts)
    for key, qs in parts.items():
        assert sorted(together[key]) == sorted(run_parts({key: qs})[key])


def test_a_part_asked_for_twice_runs_once(personas, dataset):
    """The indicator of consultations and the table by method and month ask for the same
    grouped count: the statement reads the consultations once and both get its rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.statistics.queries import (
        consultation_parts,
        consultations_by_method_month,
        indicator_key,
        municipality_statistics,
        run_parts,
    )

    mid = personas.municipality_a.pk
    period = Period.of(FY)
    parts = consultation_parts(mid, period)
    alone = run_parts({"n": consultations_by_method_month([mid], period)})["n"]
    assert alone, "the data set has consultations in the year"
    with CaptureQueriesContext(connection) as ctx:
        rows = run_parts({**parts, "again": consultations_by_method_month([mid], period)})
    (statement,) = ctx.captured_queries
    assert statement["sql"].upper().count("UNION ALL") == len(parts) - 1
    assert sorted(rows["again"]) == sorted(rows["consultations_by_method_month"]) == sorted(alone)

    stats = municipality_statistics(mid, period)
    logged = stats.rows[indicator_key("consultations_logged")]
    assert logged == stats.rows["consultations_by_method_month"]
    assert stats.counts["consultations_logged"] == sum(row[4] for row in alone)


def test_a_part_that_can_match_nothing_gives_no_rows(personas, dataset, django_assert_num_queries):
    """A part with an empty IN list compiles to nothing: it has no rows, the others run;
    only such parts: no statement at all."""
    from cases.models import Consultation
    from cases.statistics.queries import per_municipality_part, run_parts

    nothing = per_municipality_part(Consultation.objects.filter(pk__in=[]))
    some = per_municipality_part(Consultation.objects.filter(municipality=personas.municipality_a))
    rows = run_parts({"nothing": nothing, "some": some})
    assert rows["nothing"] == []
    assert (
        sum(r[4] for r in rows["some"])
        == Consultation.objects.filter(municipality=personas.municipality_a).count()
        > 0
    )
    with django_assert_num_queries(0):
        assert run_parts({"nothing": nothing}) == {"nothing": []}


def test_each_section_alone_gives_the_tables_of_the_page(personas, dataset):
    """A section called alone runs its own parts (and the page runs them with the rest)."""
    from cases.registry import sections
    from cases.statistics.queries import municipality_statistics

    mid = personas.municipality_a.pk
    period = Period.of(FY)
    alone = [(t.key, t.rows) for section in sections() for t in section(mid, period)]
    together = municipality_statistics(mid, period)
    assert alone == [(t.key, t.rows) for t in together.tables]
    assert together.counts == {i.code: i.count([mid], period).get(mid, 0) for i in indicators()}


def test_a_count_is_distinct_only_where_a_join_can_repeat_rows(personas, dataset):
    """A year's consultations are counted row by row (no DISTINCT, which sorts them all);
    places filtered through their activity records (a reverse relation: one row per
    record) are counted once each."""
    from django.db.models import Q as Q_

    from cases.models import Consultation
    from cases.statistics.queries import per_municipality_part, run_parts
    from community.models import Place

    plain = per_municipality_part(Consultation.objects.filter(municipality=personas.municipality_a))
    assert "DISTINCT" not in str(plain.query).upper()
    through_records = per_municipality_part(
        Place.objects.filter(Q_(records__isnull=False), municipality=personas.municipality_a)
    )
    assert "DISTINCT" in str(through_records.query).upper()
    consultations = run_parts({"n": plain})["n"]
    assert (
        sum(row[4] for row in consultations)
        == Consultation.objects.filter(municipality=personas.municipality_a).count()
    )
