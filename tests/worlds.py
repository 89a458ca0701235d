"""A small world of records in municipality A and B, written through the services:
one of every kind of object, so that every URL can be tried with another
municipality's ids."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from cases.collaboration import services as collaboration_services
from cases.consultation import services as consultation_services
from cases.core import services as core_services
from cases.defaults import load as load_default_master_data
from cases.engine.flags import evaluate
from cases.models import (
    Case,
    Consent,
    Consultation,
    ConsultationMethod,
    ContactRoute,
    EmergencyAccess,
    Flag,
    HouseholdMember,
    IssueCategory,
    Meeting,
    Person,
    PlanEvaluation,
    Referral,
    Relationship,
    SupportAgency,
    SupportPlan,
)
from cases.programs import CONSULTATION
from community import services as community_services
from community.models import CasePlace, Concern, Outcome, Place, PlatformSession
from municipalities.models import ApiToken, Membership, Municipality, Role, User
from municipalities.scoping import active_membership
from outreach import services as outreach_services
from outreach.models import OutreachTarget
from participation import services as participation_services
from participation.models import Assignment, FollowUp, Menu, Provider
from participation.program import PROGRAM as PARTICIPATION
from tests.factories import MembershipFactory


def master(model, code: str):
    return model.objects.get(municipality__isnull=True, code=code)


@dataclass
class World:
    """One of everything in one municipality."""

    person: Person
    case: Case
    consultation: Consultation
    consent: Consent
    plan: SupportPlan
    evaluation: PlanEvaluation
    meeting: Meeting
    referral: Referral
    member: HouseholdMember
    agency: SupportAgency
    provider: Provider
    menu: Menu
    assignment: Assignment
    follow_up: FollowUp
    coordinator: User
    place: Place
    session: PlatformSession
    outcome: Outcome
    concern: Concern
    link: CasePlace
    flag: Flag
    api_token: ApiToken
    look: EmergencyAccess
    target: OutreachTarget

    def ids(self) -> dict[str, int]:
        return {
            "person_id": self.person.pk,
            "case_id": self.case.pk,
            "consultation_id": self.consultation.pk,
            "consent_id": self.consent.pk,
            "plan_id": self.plan.pk,
            "evaluation_id": self.evaluation.pk,
            "meeting_id": self.meeting.pk,
            "referral_id": self.referral.pk,
            "member_id": self.member.pk,
            "provider_id": self.provider.pk,
            "menu_id": self.menu.pk,
            "assignment_id": self.assignment.pk,
            "follow_up_id": self.follow_up.pk,
            "place_id": self.place.pk,
            "session_id": self.session.pk,
            "outcome_id": self.outcome.pk,
            "concern_id": self.concern.pk,
            "link_id": self.link.pk,
            "flag_id": self.flag.pk,
            "user_id": self.coordinator.pk,
            "organisation_id": self.coordinator.memberships.get(is_active=True).organisation_id,
            "token_id": self.api_token.pk,
            "look_id": self.look.pk,
            "target_id": self.target.pk,
            "municipality_code": self.case.municipality.code,
        }


def case_of_new_person(
    user: User,
    municipality: Municipality,
    name: str,
    kana: str,
    opened_on: datetime.date | None = None,
) -> Case:
    """A new person and their case (route: the person), assigned to ``user``."""
    person = core_services.person_create(
        user=user, municipality=municipality, name=name, name_kana=kana
    )
    return core_services.case_open(
        user=user,
        person=person,
        route=master(ContactRoute, "self"),
        opened_on=opened_on or timezone.localdate(),
        assigned_to=user,
    )


def build_world(
    municipality: Municipality,
    caseworker: User,
    coordinator: User,
    community_worker: User,
    *,
    name: str,
    kana: str,
) -> World:
    # Transactional tests flush the database between tests; the defaults come back here.
    load_default_master_data(django_apps)
    # The caseworker works in this agency: the cases they open are its (主担当機関). A
    # second world of the same caseworker adds an agency without staff.
    organisation = active_membership(caseworker).organisation
    if SupportAgency.objects.filter(organisation=organisation).exists():
        organisation = None
    agency = collaboration_services.agency_create(
        user=caseworker,
        municipality=municipality,
        name=f"{municipality.name}{name.split()[0]}地域包括支援センター",
        field="elderly",
        kind="地域包括支援センター",
        organisation=organisation,
    )
    person, case, consultation = consultation_services.intake_record(
        user=caseworker,
        municipality=municipality,
        person=None,
        person_fields={
            "name": name,
            "name_kana": kana,
            "sex": "female",
            "birth_date": datetime.date(1944, 5, 1),
            "phone_mobile": "090-0000-0001",
        },
        route=master(ContactRoute, "minsei"),
        categories=[master(IssueCategory, "p8050"), master(IssueCategory, "care")],
        primary_category=master(IssueCategory, "p8050"),
        consultation=consultation_services.ConsultationData(
            occurred_at=timezone.now() - datetime.timedelta(days=10),
            method=master(ConsultationMethod, "phone"),
            summary="民生委員から連絡。母と息子の二人暮らし。",
            follow_up_on=timezone.localdate() - datetime.timedelta(days=1),
        ),
        assigned_to=caseworker,
    )
    household = core_services.household_create(
        user=caseworker, case=case, name=f"{name.split()[0]}家"
    )
    son = core_services.person_create(
        user=caseworker,
        municipality=municipality,
        name=f"{name.split()[0]} 次郎",
        name_kana="ジロウ",
        birth_date=datetime.date(1972, 1, 1),
    )
    member = core_services.household_add_member(
        user=caseworker, case=case, person=son, relationship=Relationship.SON, works=False
    )
    assert household.pk
    consent = core_services.consent_record(
        user=caseworker,
        person=person,
        case=case,
        agencies=[agency],
        purpose="支援のため",
        scope="相談内容",
        method=Consent.Method.SIGNATURE,
        given_on=timezone.localdate() - datetime.timedelta(days=5),
    )
    core_services.case_change_status(user=caseworker, case=case, to_status=Case.Status.ASSESSMENT)
    core_services.case_change_status(user=caseworker, case=case, to_status=Case.Status.PLANNING)
    plan = collaboration_services.plan_create(
        user=caseworker,
        case=case,
        goals="母の介護サービス利用と息子の社会参加",
        review_on=timezone.localdate() + datetime.timedelta(days=90),
        actions=[(agency, "介護保険の申請支援"), (None, "息子への訪問")],
    )
    referral = collaboration_services.referral_create(
        user=caseworker,
        case=case,
        from_program=CONSULTATION,
        to_program=PARTICIPATION,
        reason="息子の社会参加の場を探したい",
    )

    # Participation: a second case, of the son, whose plan applies for 参加支援 (decided
    # at the same meeting), referred and accepted.
    case2 = core_services.case_open(
        user=caseworker, person=son, route=master(ContactRoute, "family")
    )
    core_services.consent_record(
        user=caseworker,
        person=son,
        case=case2,
        agencies=[agency],
        purpose="支援のため",
        scope="相談内容",
        method=Consent.Method.SIGNATURE,
        given_on=timezone.localdate() - datetime.timedelta(days=5),
    )
    plan2 = collaboration_services.plan_create(
        user=caseworker,
        case=case2,
        goals="短時間の作業から社会参加を始める",
        review_on=timezone.localdate() + datetime.timedelta(days=90),
        actions=[(None, "参加支援へのつなぎ")],
        uses_participation=True,
    )
    meeting = collaboration_services.meeting_record(
        user=caseworker,
        municipality=municipality,
        kind=Meeting.Kind.MULTIAGENCY,
        held_on=timezone.localdate(),
        title="第1回 重層的支援会議",
        attendees=[
            collaboration_services.AttendeeData(
                name="包括 職員", organisation="地域包括支援センター"
            )
        ],
        items=[
            collaboration_services.MeetingItemData(case=case, decision="decide", plan=plan),
            collaboration_services.MeetingItemData(case=case2, decision="decide", plan=plan2),
        ],
    )
    plan.refresh_from_db()
    # 評価シート of the decided plan, goal by goal.
    evaluation = collaboration_services.plan_evaluate(
        user=caseworker,
        plan=plan,
        entries=[
            collaboration_services.EvaluationEntry("母の介護サービス利用", "achieved"),
            collaboration_services.EvaluationEntry("息子の社会参加", "partly", "面談を続ける"),
        ],
    )[0]
    referral2 = collaboration_services.referral_create(
        user=caseworker,
        case=case2,
        from_program=CONSULTATION,
        to_program=PARTICIPATION,
        reason="短時間の作業から始めたい",
    )
    collaboration_services.referral_respond(user=coordinator, referral=referral2, accept=True)
    provider = participation_services.provider_save(
        user=coordinator,
        municipality=municipality,
        name=f"{municipality.name}{name.split()[0]}ベーカリー",
        kind="welfare",
        area="中部",
    )
    menu = participation_services.menu_save(
        user=coordinator,
        municipality=municipality,
        provider=provider,
        name="パン工房の体験",
        description="パンの袋詰め",
        kind="work_experience",
        capacity=2,
        days=["mon", "wed"],
        interests=["料理"],
        accommodations=["short_hours"],
    )
    assignment = participation_services.assignment_propose(
        user=coordinator, referral=referral2, menu=menu
    )
    participation_services.assignment_change_status(
        user=coordinator,
        assignment=assignment,
        to_status="active",
        on=timezone.localdate() - datetime.timedelta(days=14),
    )
    follow_up = participation_services.follow_up_schedule(
        user=coordinator, assignment=assignment, due_on=timezone.localdate()
    )
    assignment.refresh_from_db()

    # Community: a place the case is linked to, a platform session, a concern.
    place = community_services.place_save(
        user=community_worker,
        municipality=municipality,
        name="ふれあいサロン",
        kind="salon",
        organiser="自治会",
        organiser_kind="residents",
        area="中部",
        target_groups=["elderly"],
    )
    session = community_services.platform_session_record(
        user=community_worker,
        municipality=municipality,
        held_on=timezone.localdate(),
        theme="空き店舗の活用",
        attendance={"company": 3, "residents": 5},
        outcomes=[("new_resource", "商店街の空き店舗で作業体験を受け入れたい", "商店会")],
    )
    concern = community_services.concern_record(
        user=community_worker,
        municipality=municipality,
        reporter_kind="minsei",
        subject_name="近所 太郎",
        observation="新聞がたまっている",
        urgency="soon",
    )
    link = community_services.case_place_link(
        user=caseworker, case=case, place=place, since=timezone.localdate()
    )
    # Someone the outreach team tries to reach, with one contact.
    outreach_worker = _outreach_worker(municipality)
    target = outreach_services.target_create(
        user=outreach_worker,
        municipality=municipality,
        description="○○地区の60代男性、郵便物がたまっている",
        source="minsei",
        worker=outreach_worker,
        found_on=timezone.localdate() - datetime.timedelta(days=20),
    )
    outreach_services.contact_log(
        user=outreach_worker,
        target=target,
        contacted_on=timezone.localdate() - datetime.timedelta(days=10),
        method="visit",
        outcome="absent",
        observed="不在。手紙を置いた。",
    )
    # Referral rules far in the future raise flags of every kind for this world.
    evaluate(municipality.pk, timezone.localdate() + datetime.timedelta(days=200))
    flag = Flag.objects.filter(municipality=municipality, case=case).order_by("pk").first()
    api_token, _key = ApiToken.objects.create(
        user=coordinator,
        expiry=datetime.timedelta(days=30),
        municipality=municipality,
        name="就労支援システム",
        scope=ApiToken.Scope.READ,
        created_by=coordinator,
    )
    # An emergency look at the case (written directly: the service refuses a case the
    # caseworker already sees).
    look = EmergencyAccess.objects.create(
        municipality=municipality,
        case=case,
        user=caseworker,
        reason="本人と連絡が取れず、安否確認のため",
        expires_at=timezone.now() + datetime.timedelta(hours=24),
    )
    return World(
        target=target,
        look=look,
        api_token=api_token,
        flag=flag,
        person=person,
        case=case,
        consultation=consultation,
        consent=consent,
        plan=plan,
        evaluation=evaluation,
        meeting=meeting,
        referral=referral,
        member=member,
        agency=agency,
        provider=provider,
        menu=menu,
        assignment=assignment,
        follow_up=follow_up,
        coordinator=coordinator,
        place=place,
        session=session,
        outcome=session.outcomes.get(),
        concern=concern,
        link=link,
    )


def _outreach_worker(municipality: Municipality) -> User:
    """The municipality's outreach worker (persona ``outreach_a`` in A), made if missing."""
    membership = (
        Membership.objects.filter(municipality=municipality, role=Role.OUTREACH, is_active=True)
        .select_related("user")
        .first()
    )
    if membership is not None:
        return membership.user
    return MembershipFactory(
        municipality=municipality,
        role=Role.OUTREACH,
        user__username=f"outreach_{municipality.code}",
    ).user


@pytest.fixture
def world_a(personas) -> World:
    return build_world(
        personas.municipality_a,
        personas.caseworker_a,
        personas.coordinator_a,
        personas.community_worker_a,
        name="山田 花子",
        kana="ヤマダ ハナコ",
    )


@pytest.fixture
def world_b(personas) -> World:
    coordinator_b = MembershipFactory(
        municipality=personas.municipality_b, role=Role.COORDINATOR, user__username="coordinator_b"
    ).user
    community_b = MembershipFactory(
        municipality=personas.municipality_b,
        role=Role.COMMUNITY_WORKER,
        user__username="community_worker_b",
    ).user
    return build_world(
        personas.municipality_b,
        personas.caseworker_b,
        coordinator_b,
        community_b,
        name="松江 梅子",
        kana="マツエ ウメコ",
    )


@pytest.fixture
def other_agency(personas):
    """Municipality A's second agency, whose staff is the ``other_agency_a`` persona."""
    from cases.models import SupportAgency
    from municipalities.scoping import active_membership

    return SupportAgency.objects.create(
        municipality=personas.municipality_a,
        name="豊中市とよなか障害者相談支援事業所",
        field="disability",
        organisation=active_membership(personas.other_agency_a).organisation,
    )


def consent_given(user: User, case: Case, agencies=(), *, days_ago: int = 1):
    """The case's person's consent (signed ``days_ago`` days ago) to share with
    ``agencies``, recorded by ``user``: enough for a 重層的支援会議 to take the case up."""
    return core_services.consent_record(
        user=user,
        person=case.person,
        case=case,
        agencies=list(agencies),
        purpose="支援のため",
        scope="相談内容",
        method=Consent.Method.SIGNATURE,
        given_on=timezone.localdate() - datetime.timedelta(days=days_ago),
    )


def consent_naming(personas, world, agencies, **overrides):
    """The person's consent, recorded by caseworker A three days ago, naming ``agencies``
    for the world's case (``overrides``: other fields)."""
    from cases.core import consent_record
    from cases.models import Consent

    fields = {
        "user": personas.caseworker_a,
        "person": world.person,
        "case": world.case,
        "agencies": agencies,
        "purpose": "支援関係機関との連携のため",
        "scope": "氏名・連絡先・相談内容",
        "method": Consent.Method.SIGNATURE,
        "given_on": timezone.localdate() - datetime.timedelta(days=3),
    }
    return consent_record(**{**fields, **overrides})


def decide_participation_plan(user: User, case: Case, agencies=()) -> SupportPlan:
    """A plan of ``case`` that applies for 参加支援, decided at a 重層的支援会議 with the
    person's consent: what a participation assignment stems from."""
    consent_given(user, case, agencies, days_ago=0)
    plan = collaboration_services.plan_create(
        user=user,
        case=case,
        goals="参加支援で社会参加の場をつくる",
        review_on=timezone.localdate() + datetime.timedelta(days=90),
        actions=[(None, "参加支援へのつなぎ")],
        uses_participation=True,
    )
    collaboration_services.meeting_record(
        user=user,
        municipality=case.municipality,
        kind=Meeting.Kind.MULTIAGENCY,
        held_on=timezone.localdate(),
        title="重層的支援会議",
        attendees=[collaboration_services.AttendeeData(name="包括 職員", organisation="市")],
        items=[collaboration_services.MeetingItemData(case=case, decision="decide", plan=plan)],
    )
    plan.refresh_from_db()
    return plan
