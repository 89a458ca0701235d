"""The program's rules as the services enforce them."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.collaboration import services as collaboration_services
from cases.consultation import services as consultation_services
from cases.core import services as core_services
from cases.models import (
    Case,
    CaseEvent,
    Consent,
    Consultation,
    ConsultationMethod,
    ContactRoute,
    Meeting,
    MeetingCase,
    Referral,
    SupportPlan,
)
from cases.programs import AGENCY, CONSULTATION
from municipalities.models import AuditEvent
from participation.program import PROGRAM as PARTICIPATION
from portal.errors import CaseRuleError
from tests.worlds import master

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def open_case(personas, name="佐藤 一郎", kana="サトウ イチロウ", **person):
    person = core_services.person_create(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        name=name,
        name_kana=kana,
        **person,
    )
    return core_services.case_open(
        user=personas.caseworker_a, person=person, route=master(ContactRoute, "self")
    )


def attendee(ack=False):
    return collaboration_services.AttendeeData(
        name="出席 者", organisation="包括", secrecy_acknowledged=ack
    )


# --- meetings and consent -----------------------------------------------------------


def test_multiagency_meeting_refuses_a_case_without_consent(personas):
    case = open_case(personas)
    with pytest.raises(CaseRuleError, match="有効な同意がありません"):
        collaboration_services.meeting_record(
            user=personas.caseworker_a,
            municipality=personas.municipality_a,
            kind=Meeting.Kind.MULTIAGENCY,
            held_on=TODAY(),
            title="会議",
            attendees=[attendee()],
            items=[collaboration_services.MeetingItemData(case=case)],
        )
    assert not Meeting.objects.exists()


def test_support_meeting_may_discuss_without_consent_when_everyone_is_bound(personas):
    case = open_case(personas)
    meeting = collaboration_services.meeting_record(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.SUPPORT,
        held_on=TODAY(),
        title="支援会議",
        attendees=[
            attendee(ack=True),
            collaboration_services.AttendeeData("学校 教員", "中学校", None, True),
        ],
        items=[collaboration_services.MeetingItemData(case=case)],
    )
    assert meeting.attendees.filter(secrecy_acknowledged=True).count() == 2


def test_support_meeting_needs_every_attendees_secrecy(personas):
    case = open_case(personas)
    with pytest.raises(CaseRuleError, match="守秘義務"):
        collaboration_services.meeting_record(
            user=personas.caseworker_a,
            municipality=personas.municipality_a,
            kind=Meeting.Kind.SUPPORT,
            held_on=TODAY(),
            title="支援会議",
            attendees=[attendee(ack=True), collaboration_services.AttendeeData("未確認 者", "NPO")],
            items=[collaboration_services.MeetingItemData(case=case)],
        )
    assert not Meeting.objects.exists()


def test_support_meeting_cannot_decide_a_plan(personas):
    case = open_case(personas)
    plan = collaboration_services.plan_create(
        user=personas.caseworker_a,
        case=case,
        goals="目標",
        review_on=TODAY() + datetime.timedelta(days=30),
        actions=[(None, "訪問")],
    )
    with pytest.raises(CaseRuleError, match="重層的支援会議"):
        collaboration_services.meeting_record(
            user=personas.caseworker_a,
            municipality=personas.municipality_a,
            kind=Meeting.Kind.SUPPORT,
            held_on=TODAY(),
            title="支援会議",
            attendees=[attendee(ack=True)],
            items=[collaboration_services.MeetingItemData(case=case, decision="decide", plan=plan)],
        )
    plan.refresh_from_db()
    assert plan.status == SupportPlan.Status.DRAFT


def consent(personas, case, **kwargs):
    defaults = {
        "agencies": [],
        "purpose": "支援",
        "scope": "相談内容",
        "method": Consent.Method.SIGNATURE,
        "given_on": TODAY() - datetime.timedelta(5),
    }
    return core_services.consent_record(
        user=personas.caseworker_a, person=case.person, case=case, **{**defaults, **kwargs}
    )


def test_plan_is_decided_only_by_a_multiagency_meeting_with_consent(personas):
    case = open_case(personas)
    consent(personas, case)
    plan = collaboration_services.plan_create(
        user=personas.caseworker_a,
        case=case,
        goals="目標",
        review_on=TODAY() + datetime.timedelta(days=30),
        actions=[(None, "訪問")],
    )
    assert plan.status == SupportPlan.Status.DRAFT
    meeting = collaboration_services.meeting_record(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.MULTIAGENCY,
        held_on=TODAY(),
        title="会議",
        attendees=[attendee()],
        items=[collaboration_services.MeetingItemData(case=case, decision="decide", plan=plan)],
    )
    plan.refresh_from_db()
    assert plan.status == SupportPlan.Status.DECIDED
    assert plan.decided_at_meeting == meeting
    # A second version approved later supersedes the first.
    plan2 = collaboration_services.plan_create(
        user=personas.caseworker_a,
        case=case,
        goals="目標2",
        review_on=TODAY() + datetime.timedelta(days=60),
        actions=[(None, "同行")],
    )
    collaboration_services.meeting_record(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.MULTIAGENCY,
        held_on=TODAY(),
        title="会議2",
        attendees=[attendee()],
        items=[collaboration_services.MeetingItemData(case=case, decision="decide", plan=plan2)],
    )
    plan.refresh_from_db()
    plan2.refresh_from_db()
    assert (plan.status, plan2.status) == ("superseded", "decided")


def test_withdrawn_consent_no_longer_allows_the_multiagency_meeting(personas):
    case = open_case(personas)
    c = consent(personas, case, given_on=TODAY() - datetime.timedelta(days=20))
    core_services.consent_withdraw(
        user=personas.caseworker_a, consent=c, withdrawn_on=TODAY() - datetime.timedelta(days=2)
    )
    with pytest.raises(CaseRuleError):
        collaboration_services.meeting_record(
            user=personas.caseworker_a,
            municipality=personas.municipality_a,
            kind=Meeting.Kind.MULTIAGENCY,
            held_on=TODAY(),
            title="会議",
            attendees=[attendee()],
            items=[collaboration_services.MeetingItemData(case=case)],
        )
    # …but a meeting held while it was valid may still be recorded afterwards.
    collaboration_services.meeting_record(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.MULTIAGENCY,
        held_on=TODAY() - datetime.timedelta(days=10),
        title="会議",
        attendees=[attendee()],
        items=[collaboration_services.MeetingItemData(case=case)],
    )


def test_consent_for_another_case_or_not_covering_meetings_does_not_count(personas):
    case = open_case(personas)
    other = core_services.case_open(
        user=personas.caseworker_a, person=case.person, route=master(ContactRoute, "self")
    )
    consent(personas, other)
    consent(personas, case, covers_multiagency_meeting=False)
    assert core_services.valid_consent_for(case, TODAY()) is None
    person_wide = consent(personas, case)
    person_wide.case = None
    person_wide.save()
    assert core_services.valid_consent_for(case, TODAY()) == person_wide


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        # Tomorrow as the test runs (taken when the tests are collected, it is today for a
        # run that passes midnight in Japan).
        ({"given_on": lambda: TODAY() + datetime.timedelta(days=1)}, "未来"),
        ({"method": Consent.Method.ORAL}, "立会人"),
    ],
)
def test_bad_consent_is_refused(personas, kwargs, message):
    kwargs = {key: value() if callable(value) else value for key, value in kwargs.items()}
    case = open_case(personas)
    with pytest.raises(CaseRuleError, match=message):
        consent(personas, case, **kwargs)
    assert not Consent.objects.exists()


def test_consent_withdrawal_rules(personas):
    case = open_case(personas)
    c = consent(personas, case)
    with pytest.raises(CaseRuleError):
        core_services.consent_withdraw(
            user=personas.caseworker_a,
            consent=c,
            withdrawn_on=c.given_on - datetime.timedelta(days=1),
        )
    core_services.consent_withdraw(user=personas.caseworker_a, consent=c, withdrawn_on=TODAY())
    with pytest.raises(CaseRuleError):
        core_services.consent_withdraw(user=personas.caseworker_a, consent=c, withdrawn_on=TODAY())


def test_ending_multiagency_collaboration_needs_the_lead_agency_and_keeps_the_case_open(
    personas, world_a
):
    """多機関協働の終結 is not the case's closure: without the lead agency that carries on it
    is refused; with it the plans end and the case stays open."""
    case = world_a.case
    item = collaboration_services.MeetingItemData(
        case=case, decision=MeetingCase.Decision.CLOSE, note="課題が整理され主担当機関へ引継ぎ"
    )
    record = dict(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.MULTIAGENCY,
        held_on=TODAY(),
        title="終結会議",
        attendees=[attendee()],
    )
    with pytest.raises(CaseRuleError, match="主担当"):
        collaboration_services.meeting_record(**record, items=[item])
    item.lead_agency = world_a.agency
    collaboration_services.meeting_record(**record, items=[item])
    case.refresh_from_db()
    assert case.status != Case.Status.CLOSED
    assert case.closed_on is None
    assert case.lead_agency == world_a.agency
    assert not case.plans.filter(status=SupportPlan.Status.DECIDED).exists()


# --- status transitions -------------------------------------------------------------


def test_allowed_path_through_every_status_and_reopening(personas):
    case = open_case(personas)
    user = personas.caseworker_a
    for status in ("assessment", "support", "monitoring", "support", "monitoring"):
        case = core_services.case_change_status(user=user, case=case, to_status=status)
    case = core_services.case_change_status(user=user, case=case, to_status="closed", reason="解決")
    assert case.closed_on == TODAY()
    case = core_services.case_change_status(
        user=user, case=case, to_status="assessment", reason="再相談"
    )
    assert case.closed_on is None
    assert case.status == "assessment"
    kinds = list(
        CaseEvent.objects.filter(case=case, kind="status_changed").values_list(
            "data__after", flat=True
        )
    )
    assert kinds == [
        "assessment",
        "support",
        "monitoring",
        "support",
        "monitoring",
        "closed",
        "assessment",
    ]


@pytest.mark.parametrize(
    ("path", "target", "message"),
    [
        ([], "support", "移行できません"),
        ([], "monitoring", "移行できません"),
        ([], "closed", "終結の理由"),
        (["assessment", "planning"], "support", "重層的支援会議で決定"),
        ([], "nonsense", "不明な状態"),
    ],
)
def test_forbidden_transitions_are_refused(personas, path, target, message):
    case = open_case(personas)
    for status in path:
        case = core_services.case_change_status(
            user=personas.caseworker_a, case=case, to_status=status
        )
    before = case.status
    with pytest.raises(CaseRuleError, match=message):
        core_services.case_change_status(user=personas.caseworker_a, case=case, to_status=target)
    case.refresh_from_db()
    assert case.status == before


def test_reopening_needs_a_reason(personas):
    case = open_case(personas)
    case = core_services.case_change_status(
        user=personas.caseworker_a, case=case, to_status="closed", reason="転居"
    )
    with pytest.raises(CaseRuleError, match="再開の理由"):
        core_services.case_change_status(
            user=personas.caseworker_a, case=case, to_status="assessment"
        )


# --- consultations and history ------------------------------------------------------


def test_new_consultation_answers_earlier_follow_ups(personas):
    case = open_case(personas)
    phone = master(ConsultationMethod, "phone")
    first = consultation_services.consultation_log(
        user=personas.caseworker_a,
        case=case,
        data=consultation_services.ConsultationData(
            occurred_at=timezone.now() - datetime.timedelta(days=3),
            method=phone,
            summary="初回",
            follow_up_on=TODAY() - datetime.timedelta(days=1),
        ),
    )
    consultation_services.consultation_log(
        user=personas.caseworker_a,
        case=case,
        data=consultation_services.ConsultationData(
            occurred_at=timezone.now(), method=phone, summary="再連絡"
        ),
    )
    first.refresh_from_db()
    assert first.follow_up_done_at is not None


def test_amending_and_withdrawing_keep_the_earlier_text(personas):
    case = open_case(personas)
    c = consultation_services.consultation_log(
        user=personas.caseworker_a,
        case=case,
        data=consultation_services.ConsultationData(
            occurred_at=timezone.now(),
            method=master(ConsultationMethod, "visit"),
            summary="最初の記録",
        ),
    )
    consultation_services.consultation_amend(
        user=personas.caseworker_a, consultation=c, summary="訂正後の記録", follow_up_on=None
    )
    consultation_services.consultation_withdraw(
        user=personas.caseworker_a, consultation=c, reason="別の世帯の記録だった"
    )
    c.refresh_from_db()
    assert c.deleted_at is not None
    assert Consultation.objects.filter(pk=c.pk).exists()
    amended = CaseEvent.objects.get(case=case, kind="consultation_amended")
    assert amended.data["previous"]["summary"] == "最初の記録"
    with pytest.raises(CaseRuleError):
        consultation_services.consultation_amend(
            user=personas.caseworker_a, consultation=c, summary="x", follow_up_on=None
        )


@pytest.mark.parametrize(
    ("summary", "when", "message"),
    [("   ", 0, "相談の内容"), ("ok", 1, "未来")],
)
def test_bad_consultations_are_refused(personas, summary, when, message):
    case = open_case(personas)
    with pytest.raises(CaseRuleError, match=message):
        consultation_services.consultation_log(
            user=personas.caseworker_a,
            case=case,
            data=consultation_services.ConsultationData(
                occurred_at=timezone.now() + datetime.timedelta(days=when),
                method=master(ConsultationMethod, "phone"),
                summary=summary,
            ),
        )
    assert not Consultation.objects.exists()


def test_case_events_are_append_only(personas):
    case = open_case(personas)
    event = CaseEvent.objects.filter(case=case).first()
    event.kind = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    audit = AuditEvent.objects.first()
    with pytest.raises(ValueError, match="append-only"):
        audit.delete()


def test_case_numbers_run_per_municipality_and_fiscal_year(personas):
    a1, a2 = open_case(personas), open_case(personas, name="別 人", kana="ベツ ヒト")
    assert int(a2.number.split("-")[1]) == int(a1.number.split("-")[1]) + 1
    assert a1.number.startswith(f"{TODAY().year if TODAY().month >= 4 else TODAY().year - 1}-")


def test_services_refuse_records_of_another_municipality(personas):
    case = open_case(personas)
    foreign_agency = collaboration_services.agency_create(
        user=personas.caseworker_b,
        municipality=personas.municipality_b,
        name="他市の機関",
        field="other",
    )
    with pytest.raises(CaseRuleError):
        collaboration_services.referral_create(
            user=personas.caseworker_a,
            case=case,
            from_program=CONSULTATION,
            to_program=AGENCY,
            to_agency=foreign_agency,
            reason="x",
        )
    with pytest.raises(CaseRuleError):
        core_services.case_open(
            user=personas.caseworker_a,
            person=case.person,
            route=master(ContactRoute, "self"),
            assigned_to=personas.caseworker_b,
        )


# --- referrals ----------------------------------------------------------------------


def test_referral_lifecycle_and_who_may_answer(personas):
    case = open_case(personas)
    referral = collaboration_services.referral_create(
        user=personas.caseworker_a,
        case=case,
        from_program=CONSULTATION,
        to_program=PARTICIPATION,
        reason="就労体験",
    )
    assert referral.acknowledge_by == TODAY() + datetime.timedelta(days=3)
    with pytest.raises(CaseRuleError, match="受け手"):
        collaboration_services.referral_respond(
            user=personas.community_worker_a, referral=referral, accept=True
        )
    with pytest.raises(CaseRuleError, match="同じ"):
        collaboration_services.referral_create(
            user=personas.caseworker_a,
            case=case,
            from_program=CONSULTATION,
            to_program=PARTICIPATION,
            reason="重複",
        )
    with pytest.raises(CaseRuleError, match="断る理由"):
        collaboration_services.referral_respond(
            user=personas.coordinator_a, referral=referral, accept=False
        )
    collaboration_services.referral_respond(
        user=personas.coordinator_a, referral=referral, accept=True
    )
    with pytest.raises(CaseRuleError):
        collaboration_services.referral_respond(
            user=personas.coordinator_a, referral=referral, accept=True
        )
    collaboration_services.referral_complete(user=personas.coordinator_a, referral=referral)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COMPLETED


def test_referral_needs_reason_and_agency(personas):
    case = open_case(personas)
    with pytest.raises(CaseRuleError):
        collaboration_services.referral_create(
            user=personas.caseworker_a,
            case=case,
            from_program=CONSULTATION,
            to_program=PARTICIPATION,
            reason=" ",
        )
    with pytest.raises(CaseRuleError):
        collaboration_services.referral_create(
            user=personas.caseworker_a,
            case=case,
            from_program=CONSULTATION,
            to_program=AGENCY,
            reason="x",
        )
    assert not Referral.objects.exists()
