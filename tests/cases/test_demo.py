"""The demo cases: both municipalities, every pattern, the meeting rules, idempotence
and no record linked across municipalities."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases.models import (
    Case,
    CaseCategory,
    Consent,
    Consultation,
    HouseholdMember,
    Meeting,
    MeetingAttendee,
    MeetingCase,
    Person,
    PlanAction,
    Referral,
    SupportAgency,
    SupportPlan,
)
from cases.programs import CONSULTATION
from community.program import PROGRAM as COMMUNITY
from municipalities.models import Municipality
from participation.program import PROGRAM as PARTICIPATION
from tests.conftest import ROSTER_FY2022

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(settings) -> str:
    call_command("load_roster", str(ROSTER_FY2022), "--fiscal-year", "2022", verbosity=0)
    settings.DEBUG = True  # seed_demo refuses to create known passwords otherwise
    return seed()


def test_cases_in_both_municipalities(seeded):
    toyonaka = Municipality.objects.get(code="272035")
    matsue = Municipality.objects.get(code="322016")
    assert Case.objects.filter(municipality=toyonaka).count() >= 15
    assert Case.objects.filter(municipality=matsue).count() >= 8
    assert Case.objects.count() >= 25
    for municipality in (toyonaka, matsue):
        assert 4 <= SupportAgency.objects.filter(municipality=municipality).count() <= 6
    assert "Demo cases: 豊中市" in seeded


def test_patterns_statuses_and_follow_ups(seeded):
    codes = set(CaseCategory.objects.values_list("category__code", flat=True))
    assert {"p8050", "hikikomori", "care", "double_care", "young_carer"} <= codes
    assert {"income", "debt", "rent_loan", "isolation", "dv_abuse", "job_search"} <= codes
    assert set(Case.objects.values_list("status", flat=True)) == set(Case.Status.values)
    for case in Case.objects.filter(status=Case.Status.CLOSED):
        assert case.close_reason
        assert case.closed_on
    assert Case.objects.filter(is_sensitive=True, case_categories__category__code="dv_abuse")

    now = timezone.now()
    assert not Consultation.objects.filter(occurred_at__gt=now).exists()
    for case in Case.objects.all():
        assert 1 <= case.consultations.count() <= 6
    today = timezone.localdate()
    due = Consultation.objects.filter(follow_up_done_at__isnull=True)
    assert due.filter(follow_up_on=today).exists()
    assert due.filter(follow_up_on__lt=today).exists()
    assert due.filter(follow_up_on__gt=today).exists()


def test_households_of_the_patterns(seeded):
    case_8050 = Case.objects.get(case_categories__category__code="p8050")
    members = case_8050.household.members.select_related("person")
    assert {m.person.age // 10 for m in members} == {8, 5}

    young = HouseholdMember.objects.get(
        household__cases__case_categories__category__code="young_carer", is_carer=True
    )
    assert young.person.age == 15

    double = Case.objects.filter(case_categories__category__code="double_care")
    assert HouseholdMember.objects.filter(household__cases__in=double, needs_care=True).count() >= 2


def test_meetings_consents_and_plans(seeded):
    # One 重層的支援会議 in each municipality; 豊中市's decides case by case.
    assert Meeting.objects.filter(kind=Meeting.Kind.MULTIAGENCY).count() == 2
    # One more in 豊中市: the one that decided the outreach to the 8050 son.
    assert Meeting.objects.filter(kind=Meeting.Kind.SUPPORT).count() == 2
    toyonaka = Meeting.objects.get(kind=Meeting.Kind.MULTIAGENCY, title="重層的支援会議（定例）")
    decisions = set(toyonaka.case_items.values_list("decision", flat=True))
    assert decisions == {MeetingCase.Decision.DECIDE_PLAN, MeetingCase.Decision.CARRY_OVER}
    # Every participation assignment stems from a decided plan applying for 参加支援.
    from participation.models import Assignment

    assert Assignment.objects.exists()
    assert not Assignment.objects.exclude(
        plan__status=SupportPlan.Status.DECIDED, plan__uses_participation=True
    ).exists()
    # A hand-over waits for the 多機関協働 team.
    assert Referral.objects.filter(to_program="multiagency", status="proposed").exists()

    decided = SupportPlan.objects.get(
        status=SupportPlan.Status.DECIDED, case__case_categories__category__code="p8050"
    )
    assert decided.decided_at_meeting.kind == Meeting.Kind.MULTIAGENCY
    assert decided.case.case_categories.filter(category__code="p8050").exists()
    assert decided.case.status == Case.Status.SUPPORT
    assert 2 <= decided.actions.count() <= 3
    assert SupportPlan.objects.count() >= 3

    attendees = MeetingAttendee.objects.filter(meeting__kind=Meeting.Kind.SUPPORT)
    assert attendees.exists()
    assert not attendees.filter(secrecy_acknowledged=False).exists()
    # The 支援会議 of cases without consent (the other one decided the outreach to the
    # 8050 son, who has no case: his mother's, consented, was its agenda).
    support_cases = MeetingCase.objects.filter(
        meeting__kind=Meeting.Kind.SUPPORT, meeting__title="支援会議（社会福祉法第106条の6）"
    )
    assert support_cases.exists()
    for item in support_cases:
        assert not item.case.consents.exists()  # discussed without consent

    assert Consent.objects.filter(method=Consent.Method.ORAL).exclude(witness="").exists()
    assert Consent.objects.filter(withdrawn_on__isnull=False).exists()


@pytest.mark.parametrize(("code", "username"), [("272035", "a-hokatsu"), ("322016", "b-kikan")])
def test_each_municipality_has_a_plan_its_evaluation_and_minutes_to_print(
    client, seeded, code, username
):
    """The decided plan (with the national form's items), its 評価シート and the meeting
    that decided it, printable by the agency on the case."""
    from django.urls import reverse

    from cases.models import PlanEvaluation
    from municipalities.models import User

    evaluation = (
        PlanEvaluation.objects.filter(plan__municipality__code=code)
        .exclude(plan__wishes="")
        .order_by("pk")
        .first()
    )
    assert evaluation is not None
    plan = evaluation.plan
    assert plan.status == SupportPlan.Status.DECIDED
    assert plan.wishes
    assert plan.issue_list
    assert plan.long_term_goal
    assert plan.agreed_on
    assert plan.evaluations.values("achievement").distinct().count() >= 2
    client.force_login(User.objects.get(username=username))
    for url in (
        reverse("cases:plan_print", args=[plan.pk]),
        reverse("cases:plan_evaluation_print", args=[plan.pk, evaluation.pk]),
        reverse("cases:meeting_print", args=[plan.decided_at_meeting_id]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/pdf"


def test_referrals(seeded):
    assert Referral.objects.filter(
        from_program=CONSULTATION,
        to_program=PARTICIPATION,
        status=Referral.Status.ACCEPTED,
        responded_by__username="a-coordinator",
    ).exists()
    assert Referral.objects.filter(
        from_program=CONSULTATION,
        to_program=COMMUNITY,
        case__case_categories__category__code="isolation",
    ).exists()
    assert Referral.objects.filter(
        from_program=COMMUNITY,
        to_program=CONSULTATION,
        status=Referral.Status.PROPOSED,
    ).exists()


def test_seeding_again_creates_nothing(seeded):
    models = (Person, Case, Consultation, SupportAgency, Consent, SupportPlan, Meeting, Referral)
    before = {model: model.objects.count() for model in models}
    seed()
    assert {model: model.objects.count() for model in models} == before


def test_no_record_links_municipalities(seeded):
    for c in Consultation.objects.select_related("case"):
        assert c.municipality_id == c.case.municipality_id
    for case in Case.objects.select_related("person", "household", "assigned_to"):
        assert case.person.municipality_id == case.municipality_id
        if case.household:
            assert case.household.municipality_id == case.municipality_id
        assert {a.municipality_id for a in case.agencies.all()} <= {case.municipality_id}
        membership = case.assigned_to.memberships.get(is_active=True)
        assert membership.municipality_id == case.municipality_id
    for m in HouseholdMember.objects.select_related("person", "household"):
        assert m.municipality_id == m.person.municipality_id == m.household.municipality_id
    for consent in Consent.objects.select_related("case", "person"):
        assert consent.person.municipality_id == consent.municipality_id
        assert consent.case.municipality_id == consent.municipality_id
        assert {a.municipality_id for a in consent.agencies.all()} <= {consent.municipality_id}
    for action in PlanAction.objects.select_related("plan__case", "agency"):
        assert action.plan.case.municipality_id == action.municipality_id
        if action.agency:
            assert action.agency.municipality_id == action.municipality_id
    for item in MeetingCase.objects.select_related("meeting", "case"):
        assert item.meeting.municipality_id == item.case.municipality_id
    for attendee in MeetingAttendee.objects.select_related("meeting", "agency"):
        if attendee.agency:
            assert attendee.agency.municipality_id == attendee.meeting.municipality_id
    for referral in Referral.objects.select_related("case"):
        assert referral.municipality_id == referral.case.municipality_id


def test_agencies_with_their_own_staff_hold_different_cases(seeded):
    """The network (DESIGN §9): in each municipality at least three agencies have staff on
    the portal and hold cases of their own; an agency sees only what it is on."""
    from cases.core import cases_visible_to
    from municipalities.models import Role, User

    for code in ("272035", "322016"):
        municipality = Municipality.objects.get(code=code)
        with_staff = SupportAgency.objects.filter(
            municipality=municipality,
            organisation__memberships__role=Role.CASEWORKER,
            organisation__memberships__is_active=True,
        ).distinct()
        assert with_staff.count() >= 3
        leads = set(
            Case.objects.filter(municipality=municipality, lead_agency__isnull=False)
            .values_list("lead_agency", flat=True)
            .distinct()
        )
        assert len(leads & {a.pk for a in with_staff}) >= 3
    hokatsu, shakyo = (
        User.objects.get(username="a-hokatsu"),
        User.objects.get(username="a-caseworker"),
    )
    office = User.objects.get(username="a-multiagency")
    toyonaka = Case.objects.filter(municipality__code="272035")
    mine = set(cases_visible_to(hokatsu).values_list("pk", flat=True))
    assert toyonaka.get(person__name="松岡 キヨ子").pk in mine  # led by the 地域包括
    assert toyonaka.get(person__name="浅野 大輝").pk not in mine  # the 社協's, no consent
    assert toyonaka.get(person__name="浅野 大輝").pk in set(
        cases_visible_to(shakyo).values_list("pk", flat=True)
    )
    assert cases_visible_to(office).count() == toyonaka.count()


def test_sharing_bases_in_the_demo(seeded):
    shared = MeetingCase.objects.get(case__person__name="川端 由美").case
    assert shared.agencies.filter(name="豊中市子ども家庭総合支援拠点").exists()
    assert not shared.consents.exists()  # shared under the 支援会議, not consent
    event = shared.events.get(kind="agency_added")
    assert event.data["basis"] == "support_meeting"
    referral = Referral.objects.get(to_agency__name="豊中市みどり台地域包括支援センター")
    assert referral.status == Referral.Status.PROPOSED
    assert not referral.case.agencies.filter(pk=referral.to_agency_id).exists()
    housing = Case.objects.get(person__name="福田 勝也")
    assert housing.consents.filter(withdrawn_on__isnull=False).exists()
    assert not housing.agencies.exists()  # the consent was withdrawn: nobody else added


def test_an_emergency_look_waits_on_the_office_dashboard(seeded):
    from cases.consultation.queries import dashboard
    from cases.models import EmergencyAccess
    from municipalities.models import User

    look = EmergencyAccess.objects.get()
    assert look.user.username == "a-konkyu"
    assert look.case.lead_agency.name == "豊中市みどり台地域包括支援センター"
    assert dashboard(User.objects.get(username="a-manager"))["emergency_looks"] == [look]


def test_the_8050_household_is_assessed_twice_with_its_ties_marked(seeded):
    from cases.assessment.maps import case_maps
    from cases.models import Assessment

    case = Case.objects.get(municipality__code="272035", person__name="松岡 キヨ子")
    assert list(case.assessments.order_by("version").values_list("version", flat=True)) == [1, 2]
    assert Assessment.objects.count() == 2
    maps = case_maps(case)
    assert set(maps.marks.values()) == {"strong", "weak", "strained"}
    assert set(maps.marks) <= set(maps.supporter_keys())
    assert len(maps.members) == 2
    assert "Demo assessments" in seeded
    seed()  # again: nothing more
    assert Assessment.objects.count() == 2


def test_the_multiagency_journey_has_each_of_its_pieces(seeded):
    """What the 多機関協働 journey goes through is in the demo: a case waiting to be handed
    over (flagged, the person consented), a hand-over the team accepted, an assessment
    with its genogram, a decided plan applying for 参加支援, a meeting deciding its cases
    differently and an evaluation sheet."""
    from cases.assessment.drawing import genogram_svg
    from cases.assessment.maps import case_maps
    from cases.engine.flags import evaluate
    from cases.engine.queries import flag_queue
    from cases.models import Flag, PlanEvaluation
    from municipalities.models import User

    toyonaka = Municipality.objects.get(code="272035")
    evaluate(toyonaka.pk)  # the scan `make run` runs after seeding
    waiting = Flag.objects.get(
        rule="needs_multiagency", case__person__name="原田 和子", resolved_at__isnull=True
    )
    assert waiting.detail["suggest"] == "handover"
    # For the lead agency (the 社協) that makes the hand-over, and the office.
    for username in ("a-caseworker", "a-multiagency"):
        assert flag_queue(User.objects.get(username=username)).filter(pk=waiting.pk).exists()
    assert not flag_queue(User.objects.get(username="a-konkyu")).filter(pk=waiting.pk).exists()

    accepted = Referral.objects.get(
        to_program="multiagency", status=Referral.Status.ACCEPTED, case__municipality=toyonaka
    )
    assert accepted.responded_by.username == "a-multiagency"
    assert accepted.from_agency == accepted.case.lead_agency
    assert not Flag.objects.filter(
        rule="needs_multiagency", case=accepted.case, resolved_at__isnull=True
    ).exists()

    assessed = Case.objects.get(municipality=toyonaka, person__name="松岡 キヨ子")
    assert assessed.assessments.exists()
    assert 'class="member"' in str(genogram_svg(case_maps(assessed)))

    assert SupportPlan.objects.filter(
        case__municipality=toyonaka, status=SupportPlan.Status.DECIDED, uses_participation=True
    ).exists()
    decisions = MeetingCase.objects.filter(
        meeting__municipality=toyonaka, meeting__kind=Meeting.Kind.MULTIAGENCY
    ).values_list("decision", flat=True)
    assert len(set(decisions)) >= 2

    evaluations = PlanEvaluation.objects.filter(plan__case__person__name="浅野 大輝")
    assert evaluations.count() == 3
    assert set(evaluations.values_list("achievement", flat=True)) == {"achieved", "partly"}
    assert evaluations.get(achievement="achieved").plan.status == SupportPlan.Status.DECIDED
    assert "Demo evaluations" in seeded
    before = PlanEvaluation.objects.count()
    seed()  # again: nothing more
    assert PlanEvaluation.objects.count() == before
