"""The A4 prints of 多機関協働: the plan as the national プラン兼事業等利用申込書, a
meeting's minutes and a 評価シート — what each holds (read back from the PDF), the export
in the audit log, need to know, long content flowing onto further pages, and the query
count of each."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.collaboration import services as collaboration_services
from cases.core import services as core_services
from cases.models import ContactRoute, Meeting
from municipalities.models import AuditEvent
from portal.fiscal import reiwa_date
from tests.worlds import consent_given, master

pytestmark = pytest.mark.django_db
PDFTOTEXT, PDFINFO = shutil.which("pdftotext"), shutil.which("pdfinfo")
needs_poppler = pytest.mark.skipif(
    not (PDFTOTEXT and PDFINFO), reason="pdftotext (poppler-utils) missing"
)
TODAY = timezone.localdate
D = datetime.timedelta


def pdf_pages(content: bytes, tmp_path) -> list[str]:
    """The text of each page of the PDF."""
    pdf = tmp_path / "print.pdf"
    pdf.write_bytes(content)
    info = subprocess.run([PDFINFO, str(pdf)], capture_output=True, check=True, text=True).stdout
    assert "A4" in info
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return [
        subprocess.run(
            [PDFTOTEXT, "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        for n in range(1, count + 1)
    ]


def get_print(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    return response


def assert_every_page_is_numbered_and_named(pages: list[str], municipality) -> None:
    """Each page carries the municipality's name and "n / N"."""
    for n, text in enumerate(pages, start=1):
        assert municipality.name in text, n
        assert re.search(rf"\b{n}\s*/\s*{len(pages)}\b", text), (n, text[-200:])


def last_export():
    return AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).order_by("-pk").first()


def new_case(personas, name: str, agencies=()):
    """A consented case of caseworker A (a 重層的支援会議 may take it up)."""
    user = personas.caseworker_a
    person = core_services.person_create(
        user=user, municipality=personas.municipality_a, name=name, name_kana="プリント"
    )
    case = core_services.case_open(
        user=user, person=person, route=master(ContactRoute, "self"), assigned_to=user
    )
    consent_given(user, case, agencies)
    return case


def national_plan(personas, world, actions=3, issues=3, **items):
    """A plan of the world's case with the national form's items, ``actions`` roles."""
    fields = {
        "wishes": "「家で暮らし続けたい」",
        "issues": "\n".join(f"課題その{i}" for i in range(1, issues + 1)),
        "long_term_goal": "母子が地域で孤立せずに暮らす",
        "short_term_goal": "デイサービスを週2回利用する",
        "period_to": TODAY() + D(days=180),
        "members": [world.member],
        "agreed_on": TODAY(),
    }
    fields.update(items)
    return collaboration_services.plan_create(
        user=personas.caseworker_a,
        case=world.case,
        goals="母の介護サービス利用と息子の社会参加",
        review_on=TODAY() + D(days=90),
        actions=[(world.agency, f"役割その{i}（月2回）") for i in range(1, actions + 1)],
        lead_agency=world.agency,
        uses_participation=True,
        form=collaboration_services.PlanItems(**fields),
    )


# --- the plan (プラン兼事業等利用申込書) --------------------------------------------------


@needs_poppler
def test_the_plan_print_holds_the_national_forms_items(client, personas, world_a, tmp_path):
    person = world_a.person
    person.address = "豊中市本町1-1-1"
    person.birth_date = datetime.date(1944, 5, 9)
    person.save()
    plan = national_plan(personas, world_a)
    client.force_login(personas.caseworker_a)
    before = AuditEvent.objects.count()
    response = get_print(client, reverse("cases:plan_print", args=[plan.pk]))
    pages = pdf_pages(response.content, tmp_path)
    text = "\n".join(pages)
    for item in (
        "プラン兼事業等利用申込書",
        person.name,
        person.name_kana,
        "昭和19年5月9日",  # the date of birth as a form writes it
        "豊中市本町1-1-1",
        world_a.member.person.name,  # the household member it concerns
        "家で暮らし続けたい",  # 本人の意向
        "課題その1",
        "課題その3",
        "母子が地域で孤立せずに暮らす",  # 長期目標
        "デイサービスを週2回利用する",  # 短期目標
        "役割その1（月2回）",
        world_a.agency.name,
        "主担当",
        "◎",
        reiwa_date(plan.review_on),
        reiwa_date(plan.period_to),
        "☑ 参加支援事業",
        "☐ アウトリーチ等を通じた継続的支援事業",
        "本人の同意・申込",
        reiwa_date(TODAY()),  # the date of the signature
        "本人署名",
        f"第{plan.version}版",
        "重層的支援会議での決定",
    ):
        assert item in text, item
    assert_every_page_is_numbered_and_named(pages, personas.municipality_a)
    event = last_export()
    assert AuditEvent.objects.count() == before + 1
    assert (event.user, event.object_id, event.case_id, event.person_id) == (
        personas.caseworker_a,
        str(plan.pk),
        world_a.case.pk,
        person.pk,
    )
    assert event.detail == {"what": "plan print", "plan_version": plan.version}


@needs_poppler
def test_the_decided_plan_prints_its_meeting_and_a_sensitive_case_no_address(
    client, personas, world_a, tmp_path
):
    world_a.person.address = "豊中市本町1-1-1"
    world_a.person.save()
    world_a.case.is_sensitive = True
    world_a.case.save()
    client.force_login(personas.caseworker_a)
    response = get_print(client, reverse("cases:plan_print", args=[world_a.plan.pk]))
    text = "\n".join(pdf_pages(response.content, tmp_path))
    assert world_a.meeting.title in text  # decided at the world's meeting
    assert reiwa_date(world_a.meeting.held_on) in text
    assert re.search(r"令和\s+年\s+月\s+日", text)  # not yet signed: a date to write by hand
    assert "豊中市本町1-1-1" not in text
    assert "記載しません（配慮が必要なケース）" in text


@needs_poppler
def test_a_long_plan_flows_onto_further_pages(client, personas, world_a, tmp_path):
    plan = national_plan(personas, world_a, actions=30, issues=12, wishes="本人の思い。" * 400)
    client.force_login(personas.caseworker_a)
    pages = pdf_pages(
        get_print(client, reverse("cases:plan_print", args=[plan.pk])).content, tmp_path
    )
    assert len(pages) >= 2
    assert_every_page_is_numbered_and_named(pages, personas.municipality_a)
    text = "\n".join(pages)
    for i in (1, 15, 30):  # every action is there, none lost at a page break
        assert f"役割その{i}（月2回）" in text, i
    assert "本人署名" in pages[-1]


# --- the evaluation sheet (評価シート) ---------------------------------------------------


@needs_poppler
def test_the_evaluation_print_goes_goal_by_goal(client, personas, world_a, tmp_path):
    evaluation = world_a.evaluation
    client.force_login(personas.caseworker_a)
    url = reverse("cases:plan_evaluation_print", args=[world_a.plan.pk, evaluation.pk])
    response = get_print(client, url)
    pages = pdf_pages(response.content, tmp_path)
    text = "\n".join(pages)
    for item in (
        "評価シート",
        world_a.person.name,
        "母の介護サービス利用",
        "息子の社会参加",
        "☑ 達成",
        "☑ 一部達成",
        "面談を続ける",  # the next step
        str(personas.caseworker_a),  # who evaluated
        reiwa_date(evaluation.evaluated_on),
        f"第{world_a.plan.version}版",  # the plan it evaluates
        world_a.plan.goals,
    ):
        assert item in text, item
    assert "達成率" not in text  # the statistics' word is not the goal's
    assert_every_page_is_numbered_and_named(pages, personas.municipality_a)
    event = last_export()
    assert event.object_id == str(world_a.plan.pk)
    assert event.case_id == world_a.case.pk
    assert event.detail["what"] == "evaluation print"
    assert sorted(event.detail["evaluations"]) == sorted(
        world_a.plan.evaluations.values_list("pk", flat=True)
    )


def evaluate(personas, plan, goals: int, evaluated_on=None):
    return collaboration_services.plan_evaluate(
        user=personas.caseworker_a,
        plan=plan,
        entries=[
            collaboration_services.EvaluationEntry(f"目標その{i}", "partly", f"次の一歩その{i}")
            for i in range(1, goals + 1)
        ],
        evaluated_on=evaluated_on,
    )


@needs_poppler
def test_each_sheet_prints_its_own_goals(client, personas, world_a, tmp_path):
    """Two sheets of one plan: each print holds its day's goals only, and the plan page
    links each of them."""
    earlier = evaluate(personas, world_a.plan, 2, evaluated_on=TODAY() - D(days=30))
    client.force_login(personas.caseworker_a)
    url = reverse("cases:plan_evaluation_print", args=[world_a.plan.pk, earlier[1].pk])
    text = "\n".join(pdf_pages(get_print(client, url).content, tmp_path))
    assert "目標その2" in text
    assert "面談を続ける" not in text  # the other sheet's next step
    page = client.get(reverse("cases:plan_detail", args=[world_a.plan.pk])).content.decode()
    for first in (world_a.evaluation, earlier[0]):
        assert reverse("cases:plan_evaluation_print", args=[world_a.plan.pk, first.pk]) in page
    assert reverse("cases:plan_print", args=[world_a.plan.pk]) in page


@needs_poppler
def test_a_long_evaluation_flows_onto_further_pages(client, personas, world_a, tmp_path):
    rows = evaluate(personas, world_a.plan, 25, evaluated_on=TODAY() - D(days=1))
    client.force_login(personas.caseworker_a)
    url = reverse("cases:plan_evaluation_print", args=[world_a.plan.pk, rows[0].pk])
    pages = pdf_pages(get_print(client, url).content, tmp_path)
    assert len(pages) >= 2
    assert_every_page_is_numbered_and_named(pages, personas.municipality_a)
    text = "\n".join(pages)
    for i in (1, 13, 25):
        assert f"次の一歩その{i}" in text, i


def test_an_evaluation_of_another_plan_is_404(client, personas, world_a):
    other_plan = national_plan(personas, world_a)
    client.force_login(personas.caseworker_a)
    url = reverse("cases:plan_evaluation_print", args=[other_plan.pk, world_a.evaluation.pk])
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


# --- the minutes ------------------------------------------------------------------------


@pytest.fixture
def decisions_meeting(personas, world_a):
    """A 重層的支援会議 deciding each of its five cases differently."""
    son = world_a.assignment.case
    drafted = new_case(personas, "決定 一郎")
    draft = collaboration_services.plan_create(
        user=personas.caseworker_a,
        case=drafted,
        goals="目標",
        review_on=TODAY() + D(days=60),
        actions=[(None, "面談")],
    )
    ending = new_case(personas, "終結 二郎", agencies=[world_a.agency])
    carried = new_case(personas, "継続 三郎")
    Item = collaboration_services.MeetingItemData
    return collaboration_services.meeting_record(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.MULTIAGENCY,
        held_on=TODAY(),
        title="第2回 重層的支援会議",
        notes="五件を検討した。",
        attendees=[
            collaboration_services.AttendeeData(name="包括 職員", organisation="市"),
            collaboration_services.AttendeeData(
                name="守秘 花子", organisation="社協", secrecy_acknowledged=True
            ),
        ],
        items=[
            Item(case=drafted, decision="decide", plan=draft, note="承認した"),
            Item(
                case=world_a.case,
                decision="reviewed",
                plan=world_a.plan,
                next_review_on=TODAY() + D(days=60),
                note="介護サービスが安定",
            ),
            Item(case=ending, decision="close", lead_agency=world_a.agency, note="役割が整理"),
            Item(case=son, decision="suspend", plan=world_a.assignment.plan, note="入院のため"),
            Item(case=carried, decision="carried_over", note="次回に継続"),
        ],
    )


@needs_poppler
def test_the_minutes_print_each_cases_decision(client, personas, decisions_meeting, tmp_path):
    client.force_login(personas.manager_a)
    url = reverse("cases:meeting_print", args=[decisions_meeting.pk])
    pages = pdf_pages(get_print(client, url).content, tmp_path)
    text = "\n".join(pages)
    items = list(decisions_meeting.case_items.select_related("case__person", "lead_agency"))
    assert len(items) == 5
    for item in items:
        assert item.case.person.name in text
        assert item.case.number in text
        assert item.note in text
    for decision in ("支援決定", "評価", "多機関協働の終結", "中断", "継続審議"):
        assert decision in text, decision
    assert reiwa_date(TODAY() + D(days=60)) in text  # the review's next date
    assert items[0].meeting.title in text
    assert "議事録" in text
    assert "五件を検討した。" in text
    assert "包括 職員" in text
    assert "守秘 花子" in text
    assert "確認済み" in text  # the duty of secrecy, as the page shows it
    lead = next(i for i in items if i.decision == "close").lead_agency
    assert lead.name in "".join(text.split())  # the 主担当 carrying on (wrapped in its box)
    assert reiwa_date(TODAY()) in text
    assert_every_page_is_numbered_and_named(pages, personas.municipality_a)
    event = last_export()
    assert event.object_id == str(decisions_meeting.pk)
    assert event.detail["what"] == "minutes print"
    assert sorted(event.detail["cases"]) == sorted(i.case_id for i in items)


@needs_poppler
def test_the_minutes_leave_out_a_case_the_reader_may_not_see_as_the_page_does(
    client, personas, world_a, other_agency, tmp_path
):
    """A 支援会議 the other agency attended: its staff see the meeting and their own case
    on the agenda; the world's case is left out of the page and of the print alike."""
    own = core_services.case_open(
        user=personas.other_agency_a,
        person=core_services.person_create(
            user=personas.other_agency_a,
            municipality=personas.municipality_a,
            name="自機関 太郎",
            name_kana="ジキカン タロウ",
        ),
        route=master(ContactRoute, "self"),
        assigned_to=personas.other_agency_a,
    )
    meeting = collaboration_services.meeting_record(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.SUPPORT,
        held_on=TODAY(),
        title="支援会議",
        notes="",
        attendees=[
            collaboration_services.AttendeeData(
                name="障害 相談員",
                organisation=other_agency.name,
                agency=other_agency,
                secrecy_acknowledged=True,
            )
        ],
        items=[
            collaboration_services.MeetingItemData(case=world_a.case, note="世界の事例"),
            collaboration_services.MeetingItemData(case=own, note="自機関の事例"),
        ],
    )
    client.force_login(personas.other_agency_a)
    page = client.get(reverse("cases:meeting_detail", args=[meeting.pk])).content.decode()
    url = reverse("cases:meeting_print", args=[meeting.pk])
    assert url in page
    text = "\n".join(pdf_pages(get_print(client, url).content, tmp_path))
    for shown in (page, text):
        assert "自機関 太郎" in shown
        assert "自機関の事例" in shown
        assert world_a.person.name not in shown
        assert world_a.case.number not in shown
        assert "世界の事例" not in shown
    assert "社会福祉法第106条の6" in text
    assert last_export().detail["cases"] == [own.pk]


@needs_poppler
def test_long_minutes_flow_onto_further_pages(client, personas, world_a, tmp_path):
    meeting = world_a.meeting
    meeting.notes = "\n".join(f"議事その{i}：各機関の役割分担を確認した。" for i in range(1, 121))
    meeting.save()
    client.force_login(personas.caseworker_a)
    url = reverse("cases:meeting_print", args=[meeting.pk])
    pages = pdf_pages(get_print(client, url).content, tmp_path)
    assert len(pages) >= 2
    assert_every_page_is_numbered_and_named(pages, personas.municipality_a)
    text = "\n".join(pages)
    for i in (1, 60, 120):
        assert f"議事その{i}：" in text, i


# --- need to know -----------------------------------------------------------------------


def print_urls(world) -> list[str]:
    return [
        reverse("cases:plan_print", args=[world.plan.pk]),
        reverse("cases:plan_evaluation_print", args=[world.plan.pk, world.evaluation.pk]),
        reverse("cases:meeting_print", args=[world.meeting.pk]),
    ]


@pytest.mark.parametrize("persona", ["caseworker_b", "other_agency_a", "coordinator_a"])
def test_other_municipality_and_other_agency_get_404(
    client, personas, world_a, other_agency, persona
):
    client.force_login(personas.all()[persona])
    for url in print_urls(world_a):
        assert client.get(url).status_code == 404, (persona, url)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_pages_link_their_prints(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    plan_page = client.get(reverse("cases:plan_detail", args=[world_a.plan.pk])).content.decode()
    meeting_page = client.get(
        reverse("cases:meeting_detail", args=[world_a.meeting.pk])
    ).content.decode()
    plan_url, evaluation_url, meeting_url = print_urls(world_a)
    assert plan_url in plan_page
    assert evaluation_url in plan_page
    assert meeting_url in meeting_page
    assert "印刷（PDF）" in plan_page
    assert "印刷（PDF）" in meeting_page


# --- query counts -----------------------------------------------------------------------

# session, user, membership; the plan (+case, person, meeting, lead agency); its actions
# and their agencies, its household members and their persons, its evaluations (+review,
# meeting, evaluator): five prefetches; audit write (head moved on, event, head signed).
# The session, renewed by the request before under a minute ago, is not written.
QUERIES_PLAN_PRINT = 12
# The same read (the sheet is gathered from the plan's prefetched evaluations), of the
# world's plan, which concerns no household member: no person is read for them.
QUERIES_EVALUATION_PRINT = 11
# session, user, membership; the meeting (scoped: subqueries, one statement); its
# attendees (+agency) and the cases the reader may see (+case, person, plan, lead agency):
# two prefetches; audit write (three); no session write
QUERIES_MEETING_PRINT = 9


def test_the_plan_prints_cost_the_same_whatever_they_hold(
    client, personas, world_a, django_assert_num_queries
):
    client.force_login(personas.caseworker_a)
    small = national_plan(personas, world_a, actions=1, issues=1)
    small_url = reverse("cases:plan_print", args=[small.pk])
    client.get(small_url)
    with django_assert_num_queries(QUERIES_PLAN_PRINT):
        client.get(small_url)
    large = national_plan(personas, world_a, actions=12, issues=8)
    with django_assert_num_queries(QUERIES_PLAN_PRINT):
        client.get(reverse("cases:plan_print", args=[large.pk]))
    url = reverse("cases:plan_evaluation_print", args=[world_a.plan.pk, world_a.evaluation.pk])
    with django_assert_num_queries(QUERIES_EVALUATION_PRINT):
        client.get(url)
    evaluate(personas, world_a.plan, 10)
    with django_assert_num_queries(QUERIES_EVALUATION_PRINT):
        client.get(url)


def test_the_minutes_print_costs_the_same_whatever_the_agenda(
    client, personas, world_a, decisions_meeting, django_assert_num_queries
):
    client.force_login(personas.caseworker_a)
    client.get(reverse("cases:meeting_print", args=[world_a.meeting.pk]))
    with django_assert_num_queries(QUERIES_MEETING_PRINT):
        client.get(reverse("cases:meeting_print", args=[world_a.meeting.pk]))
    with django_assert_num_queries(QUERIES_MEETING_PRINT):
        client.get(reverse("cases:meeting_print", args=[decisions_meeting.pk]))
