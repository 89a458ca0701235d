"""多機関協働: the hand-over into it, the plan as the national form has it, participation
that stems from a decided plan, and the 重層的支援会議 deciding case by case."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.collaboration import services as collaboration_services
from cases.core import services as core_services
from cases.engine.flags import evaluate
from cases.models import (
    Case,
    CaseEvent,
    ContactRoute,
    Flag,
    IssueCategory,
    Meeting,
    MeetingCase,
    Referral,
    SupportPlan,
)
from cases.programs import CONSULTATION, MULTIAGENCY
from municipalities.models import AuditEvent
from participation.models import Assignment
from portal.errors import CaseRuleError
from tests.worlds import consent_given, decide_participation_plan, master

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
D = datetime.timedelta


def new_case(personas, name="多機 太郎", categories=(), days_ago=0):
    user = personas.caseworker_a
    person = core_services.person_create(
        user=user, municipality=personas.municipality_a, name=name, name_kana="タキ タロウ"
    )
    return core_services.case_open(
        user=user,
        person=person,
        route=master(ContactRoute, "self"),
        categories=[master(IssueCategory, c) for c in categories],
        opened_on=TODAY() - D(days=days_ago),
        assigned_to=user,
    )


def consent_for(personas, case, agencies=()):
    return consent_given(personas.caseworker_a, case, agencies)


def meeting_post(**rows):
    data = {
        "kind": "multiagency",
        "held_on": TODAY().isoformat(),
        "title": "重層的支援会議",
        "attendee_0_name": "包括 職員",
        "attendee_0_organisation": "市",
    }
    data.update(rows)
    return data


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def open_flags(rule, case):
    return Flag.objects.filter(rule=rule, case=case, resolved_at__isnull=True)


# --- the meeting decides case by case -----------------------------------------------------


def test_two_cases_get_different_decisions_in_one_submit(client, personas, world_a):
    mother, son = world_a.case, world_a.assignment.case
    son_plan = world_a.assignment.plan
    client.force_login(personas.caseworker_a)
    next_review = TODAY() + D(days=60)
    response = client.post(
        reverse("cases:meeting_add"),
        meeting_post(
            item_0_case=mother.number,
            item_0_decision="reviewed",
            item_0_review_on=next_review.isoformat(),
            item_0_note="介護サービスが安定",
            item_1_case=son.number,
            item_1_decision="carried_over",
            item_1_note="次回に継続",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    meeting = Meeting.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))
    items = {i.case_id: i for i in meeting.case_items.all()}
    assert items[mother.pk].decision == "reviewed"
    assert items[mother.pk].next_review_on == next_review
    assert items[son.pk].decision == "carried_over"
    world_a.plan.refresh_from_db()
    assert world_a.plan.review_on == next_review  # 評価 moved the review date
    son_plan.refresh_from_db()
    assert son_plan.status == SupportPlan.Status.DECIDED  # 継続審議 changes nothing
    # Each change is in the case's history and the audit log.
    assert CaseEvent.objects.filter(case=mother, kind="plan_reviewed").exists()
    assert CaseEvent.objects.filter(
        case=son, kind="meeting", data__decision="carried_over"
    ).exists()
    assert AuditEvent.objects.filter(
        object_type="cases.supportplan", object_id=world_a.plan.pk, action="update"
    ).exists()
    page = client.get(reverse("cases:meeting_detail", args=[meeting.pk])).content.decode()
    assert "継続審議" in page
    assert next_review.isoformat() in page


# serialized_rollback like every transactional test here: a flush without it re-creates
# the content types that the next serialized test then restores again.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_review_clears_the_plan_review_due_flag(personas, world_a, monkeypatch):
    """Committed for real, so that the re-evaluation after the save runs as it does in
    production (after commit). With a broker (CI) it would go to a worker that this test
    does not wait for: the task runs in this process instead, as without a broker."""
    from portal.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    plan = world_a.plan
    SupportPlan.objects.filter(pk=plan.pk).update(review_on=TODAY() - D(days=1))
    evaluate(personas.municipality_a.pk, TODAY())
    assert open_flags("plan_review_due", world_a.case).exists()
    collaboration_services.meeting_record(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.MULTIAGENCY,
        held_on=TODAY(),
        title="評価",
        attendees=[collaboration_services.AttendeeData(name="包括 職員", organisation="市")],
        items=[
            collaboration_services.MeetingItemData(
                case=world_a.case,
                decision="reviewed",
                plan=plan,
                next_review_on=TODAY() + D(days=90),
            )
        ],
    )
    # The engine re-evaluated the case after the save: the flag is closed.
    assert not open_flags("plan_review_due", world_a.case).exists()
    plan.refresh_from_db()
    assert plan.review_on == TODAY() + D(days=90)


def test_ending_collaboration_keeps_the_case_open_with_its_lead_agency(
    client, personas, world_a, other_agency
):
    case = world_a.case
    consent_for(personas, case, [world_a.agency, other_agency])
    client.force_login(personas.caseworker_a)
    # Without the lead agency that carries on: refused, nothing saved.
    meetings = Meeting.objects.count()
    response = client.post(
        reverse("cases:meeting_add"),
        meeting_post(item_0_case=case.number, item_0_decision="close"),
    )
    assert response.status_code == 400
    assert "主担当" in response.content.decode()
    assert Meeting.objects.count() == meetings
    response = client.post(
        reverse("cases:meeting_add"),
        meeting_post(
            item_0_case=case.number,
            item_0_decision="close",
            item_0_lead_agency=str(other_agency.pk),
            item_0_note="役割分担が整理された",
        ),
    )
    assert response.status_code == 302, re.findall(
        r'role="alert">.*?</div>|field-error">[^<]*', response.content.decode()
    )
    case.refresh_from_db()
    assert case.is_open
    assert case.closed_on is None
    assert case.lead_agency == other_agency
    assert MeetingCase.objects.get(case=case, decision="close").lead_agency == other_agency
    assert CaseEvent.objects.filter(case=case, kind="multiagency_ended").exists()
    # Closing the case itself is the separate action, and needs its own reason.
    with pytest.raises(CaseRuleError, match="理由"):
        core_services.case_change_status(
            user=personas.caseworker_a, case=case, to_status=Case.Status.CLOSED
        )
    case = core_services.case_change_status(
        user=personas.caseworker_a, case=case, to_status=Case.Status.CLOSED, reason="支援終了"
    )
    assert case.closed_on == TODAY()


def test_bad_meeting_inputs_are_refused_with_a_message_and_nothing_saved(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    meetings = Meeting.objects.count()
    # A review date in the past.
    response = client.post(
        reverse("cases:meeting_add"),
        meeting_post(
            item_0_case=world_a.case.number,
            item_0_decision="reviewed",
            item_0_review_on=(TODAY() - D(days=3)).isoformat(),
        ),
    )
    assert response.status_code == 400
    assert "次回評価日" in response.content.decode()
    # A decision on a row that names no case on the agenda.
    response = client.post(
        reverse("cases:meeting_add"),
        meeting_post(item_0_case=world_a.case.number, item_1_decision="decide"),
    )
    assert response.status_code == 400
    assert "どのケースの決定か" in response.content.decode()
    assert Meeting.objects.count() == meetings
    world_a.plan.refresh_from_db()
    assert world_a.plan.review_on == TODAY() + D(days=90)


def test_meeting_api_decides_per_case_and_refuses_foreign_ids(
    personas, world_a, world_b, other_agency
):
    mother, son = world_a.case, world_a.assignment.case
    base = {
        "kind": "multiagency",
        "held_on": TODAY().isoformat(),
        "attendees": [{"name": "包括 職員", "organisation": "市"}],
    }
    client = api(personas.caseworker_a)
    # A plan of a case that is not on the agenda.
    response = client.post(
        "/api/meetings/",
        {**base, "items": [{"case": mother.pk, "decision": "suspend", "plan": son.plans.get().pk}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]
    # Another municipality's case; another agency's case (need to know).
    foreign = {**base, "items": [{"case": world_b.case.pk, "decision": "discussed"}]}
    assert client.post("/api/meetings/", foreign, format="json").status_code == 404
    outsider = api(personas.other_agency_a)
    mine = {**base, "items": [{"case": mother.pk, "decision": "discussed"}]}
    assert outsider.post("/api/meetings/", mine, format="json").status_code == 404
    # 終結 without the lead agency; then two cases, two decisions.
    response = client.post(
        "/api/meetings/", {**base, "items": [{"case": mother.pk, "decision": "close"}]}, "json"
    )
    assert response.status_code == 400
    response = client.post(
        "/api/meetings/",
        {
            **base,
            "items": [
                {"case": mother.pk, "decision": "close", "lead_agency": world_a.agency.pk},
                {
                    "case": son.pk,
                    "decision": "reviewed",
                    "next_review_on": (TODAY() + D(days=30)).isoformat(),
                },
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    items = {i["case"]: i for i in response.json()["items"]}
    assert items[mother.pk]["lead_agency"] == world_a.agency.pk
    assert items[son.pk]["next_review_on"] == (TODAY() + D(days=30)).isoformat()
    mother.refresh_from_db()
    assert mother.is_open


# --- needs_multiagency on hand-built cases ------------------------------------------------


def test_needs_multiagency_counts_real_fields_and_suggests_by_consent(personas):
    two_fields = new_case(personas, "二分野 一", ["debt", "care"], days_ago=20)
    consent_for(personas, two_fields)
    no_consent = new_case(personas, "二分野 二", ["childrearing", "disability"], days_ago=20)
    illness_other = new_case(personas, "病気 三", ["health", "family", "other"], days_ago=20)
    evaluate(personas.municipality_a.pk, TODAY())
    flag = open_flags("needs_multiagency", two_fields).get()
    assert flag.detail["fields"] == 2
    assert flag.detail["suggest"] == "handover"
    assert open_flags("needs_multiagency", no_consent).get().detail["suggest"] == "support_meeting"
    # 病気・健康・障害 is not the disability field; "other" is no field.
    assert not open_flags("needs_multiagency", illness_other).exists()
    # The flag becomes the hand-over to the 多機関協働 team; a handed-over case is not
    # flagged again.
    from cases.engine import services as engine_services

    referral = engine_services.flag_refer(user=personas.manager_a, flag=flag, reason="複合課題")
    assert referral.to_program == MULTIAGENCY
    evaluate(personas.municipality_a.pk, TODAY())
    assert not open_flags("needs_multiagency", two_fields).exists()


def test_a_case_taken_up_at_a_multiagency_meeting_is_not_flagged(personas, world_a):
    # world_a's case (p8050 + care: both elderly) and the son's: taken up at a meeting.
    evaluate(personas.municipality_a.pk, TODAY() + D(days=30))
    assert not open_flags("needs_multiagency", world_a.case).exists()


# --- the hand-over into 多機関協働 -------------------------------------------------------


def test_the_hand_over_is_acknowledged_by_the_multiagency_team(client, personas):
    case = new_case(personas, "引継 花子", ["care", "childrearing"])
    client.force_login(personas.caseworker_a)
    response = client.post(
        reverse("cases:referral_add", args=[case.pk]),
        {"to_program": MULTIAGENCY, "reason": "介護と子育てが重なる", "acknowledge_within_days": 3},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    referral = Referral.objects.get(case=case, to_program=MULTIAGENCY)
    assert referral.from_program == CONSULTATION
    assert not collaboration_services.can_respond(personas.caseworker_a, referral)
    client.force_login(personas.multiagency_a)
    inbox = client.get(reverse("cases:referral_inbox")).content.decode()
    assert case.person.name in inbox
    response = client.post(
        reverse("cases:referral_respond", args=[referral.pk]), {"action": "accept", "note": ""}
    )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.responded_by == personas.multiagency_a


# --- the plan as the national form has it --------------------------------------------------


def test_plan_form_records_the_national_items(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    response = client.post(
        reverse("cases:plan_add", args=[world_a.case.pk]),
        {
            "wishes": "家で母と暮らし続けたい",
            "issues": "母の介護負担\n息子の社会参加",
            "goals": "母の在宅生活と息子の外出",
            "long_term_goal": "息子が働く",
            "short_term_goal": "週1回外出する",
            "period_from": TODAY().isoformat(),
            "period_to": (TODAY() + D(days=180)).isoformat(),
            "review_on": (TODAY() + D(days=90)).isoformat(),
            "members": [str(world_a.member.pk)],
            "agreed_on": TODAY().isoformat(),
            "uses_participation": "on",
            "lead_agency": str(world_a.agency.pk),
            "action_0_agency": str(world_a.agency.pk),
            "action_0_text": "介護保険の調整",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    plan = world_a.case.plans.order_by("-version").first()
    assert plan.issue_list == ["母の介護負担", "息子の社会参加"]
    assert list(plan.members.all()) == [world_a.member]
    assert plan.agreed_on == TODAY()
    page = client.get(reverse("cases:plan_detail", args=[plan.pk])).content.decode()
    assert "家で母と暮らし続けたい" in page
    assert "週1回外出する" in page
    api_plan = api(personas.caseworker_a).get(f"/api/plans/{plan.pk}/").json()
    assert api_plan["issues"] == ["母の介護負担", "息子の社会参加"]
    assert api_plan["members"] == [world_a.member.pk]


def test_plan_api_creates_a_plan_and_refuses_bad_items(personas, world_a, world_b):
    client = api(personas.caseworker_a)
    body = {
        "case": world_a.case.pk,
        "goals": "目標",
        "review_on": (TODAY() + D(days=30)).isoformat(),
        "actions": [{"agency": None, "action": "訪問"}],
        "issues": ["介護"],
        "period_from": TODAY().isoformat(),
        "period_to": (TODAY() - D(days=1)).isoformat(),
    }
    response = client.post("/api/plans/", body, format="json")
    assert response.status_code == 400  # the period ends before it starts
    assert (
        client.post("/api/plans/", {**body, "case": world_b.case.pk}, format="json").status_code
        == 404
    )
    body["period_to"] = (TODAY() + D(days=60)).isoformat()
    response = client.post("/api/plans/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "draft"


# --- participation stems from a decided plan --------------------------------------------


def accepted_participation_referral(personas, case):
    referral = collaboration_services.referral_create(
        user=personas.caseworker_a,
        case=case,
        from_program=CONSULTATION,
        to_program="participation",
        reason="居場所を探す",
    )
    return collaboration_services.referral_respond(
        user=personas.coordinator_a, referral=referral, accept=True
    )


def test_an_assignment_needs_a_decided_plan_applying_for_participation(client, personas, world_a):
    case = new_case(personas, "参加 次郎")
    referral = accepted_participation_referral(personas, case)
    client.force_login(personas.coordinator_a)
    matching = client.get(reverse("participation:matching", args=[referral.pk])).content.decode()
    assert "参加支援を申し込む支援決定済みのプランがない" in matching
    response = client.post(
        reverse("participation:propose", args=[referral.pk]), {"menu": world_a.menu.pk}
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "参加支援を利用する支援プラン" in page
    response = api(personas.coordinator_a).post(
        "/api/assignments/", {"referral": referral.pk, "menu": world_a.menu.pk}, format="json"
    )
    assert response.status_code == 400
    assert "参加支援" in str(response.json()["error"])
    assert not Assignment.objects.filter(case=case).exists()
    # With the plan decided at a 重層的支援会議: the assignment records it.
    plan = decide_participation_plan(personas.caseworker_a, case)
    response = api(personas.coordinator_a).post(
        "/api/assignments/", {"referral": referral.pk, "menu": world_a.menu.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["plan"] == plan.pk
    assignment = Assignment.objects.get(case=case)
    page = client.get(
        reverse("participation:assignment_detail", args=[assignment.pk])
    ).content.decode()
    assert f"プラン第{plan.version}版" in page


# --- query counts ------------------------------------------------------------------------


def support_meeting(personas, cases):
    return collaboration_services.meeting_record(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.SUPPORT,
        held_on=TODAY(),
        title="支援会議",
        attendees=[
            collaboration_services.AttendeeData(
                name="出席 者", organisation="市", secrecy_acknowledged=True
            )
        ],
        items=[collaboration_services.MeetingItemData(case=c) for c in cases],
    )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_meeting_page_query_count_does_not_grow_with_the_agenda(
    client, personas, django_assert_num_queries
):
    client.force_login(personas.manager_a)
    one = support_meeting(personas, [new_case(personas, "一件 目")])
    many = support_meeting(personas, [new_case(personas, f"複数 {i}") for i in range(4)])
    url = reverse("cases:meeting_detail", args=[one.pk])
    client.get(url)
    expected = count_queries(client, url)
    with django_assert_num_queries(expected):
        html = client.get(reverse("cases:meeting_detail", args=[many.pk])).content.decode()
    assert html.count("複数") == 4


def test_plan_page_query_count_does_not_grow_with_actions_and_members(
    client, personas, world_a, django_assert_num_queries
):
    client.force_login(personas.caseworker_a)

    def plan(actions, issues):
        return collaboration_services.plan_create(
            user=personas.caseworker_a,
            case=world_a.case,
            goals="目標",
            review_on=TODAY() + D(days=30),
            actions=[(world_a.agency, f"役割 {i}") for i in range(actions)],
            form=collaboration_services.PlanItems(members=[world_a.member], issues=issues),
        )

    small, large = plan(1, "一"), plan(5, "一\n二\n三")
    url = reverse("cases:plan_detail", args=[small.pk])
    client.get(url)
    expected = count_queries(client, url)
    with django_assert_num_queries(expected):
        html = client.get(reverse("cases:plan_detail", args=[large.pk])).content.decode()
    assert html.count("役割") >= 5


# --- the evaluation sheet (評価シート) -----------------------------------------------------


def test_the_evaluation_sheet_goes_goal_by_goal_and_attaches_to_the_review(
    client, personas, world_a
):
    plan = world_a.plan
    meeting = collaboration_services.meeting_record(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.MULTIAGENCY,
        held_on=TODAY(),
        title="評価会議",
        attendees=[collaboration_services.AttendeeData(name="包括 職員", organisation="市")],
        items=[
            collaboration_services.MeetingItemData(
                case=world_a.case, decision="reviewed", plan=plan, next_review_on=TODAY() + D(60)
            )
        ],
    )
    review = meeting.case_items.get()
    client.force_login(personas.caseworker_a)
    url = reverse("cases:plan_evaluate", args=[plan.pk])
    form = client.get(url).content.decode()
    assert "評価会議" in form  # the review to attach to is offered
    data = {
        "evaluated_on": TODAY().isoformat(),
        "review": str(review.pk),
        "goal_0": "母の介護サービス利用",
        "goal_1": "息子の社会参加",
        "achievement_1": "partly",
        "next_step_1": "作業体験を週2回に",
    }
    before = plan.evaluations.count()  # the world's own sheet
    response = client.post(url, data)
    assert response.status_code == 400  # the first goal has no achievement
    assert plan.evaluations.count() == before
    response = client.post(url, {**data, "achievement_0": "achieved"})
    assert response.status_code == 302
    rows = list(plan.evaluations.filter(review=review).order_by("pk"))
    assert [(r.achievement, r.review) for r in rows] == [("achieved", review), ("partly", review)]
    page = client.get(reverse("cases:plan_detail", args=[plan.pk])).content.decode()
    assert "作業体験を週2回に" in page
    assert "一部達成" in page
    api_plan = api(personas.caseworker_a).get(f"/api/plans/{plan.pk}/").json()
    reviewed = [e for e in api_plan["evaluations"] if e["review"] == review.pk]
    assert [e["achievement"] for e in reviewed] == ["achieved", "partly"]
