"""A small world of records in municipality A and B, written through the services."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from cases import services
from cases.models import (
    Case,
    Consent,
    Consultation,
    ConsultationMethod,
    ContactRoute,
    HouseholdMember,
    IssueCategory,
    Meeting,
    Person,
    Program,
    Referral,
    Relationship,
    SupportAgency,
    SupportPlan,
)
from municipalities.models import Municipality, User


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
    meeting: Meeting
    referral: Referral
    member: HouseholdMember
    agency: SupportAgency

    def ids(self) -> dict[str, int]:
        return {
            "person_id": self.person.pk,
            "case_id": self.case.pk,
            "consultation_id": self.consultation.pk,
            "consent_id": self.consent.pk,
            "plan_id": self.plan.pk,
            "meeting_id": self.meeting.pk,
            "referral_id": self.referral.pk,
            "member_id": self.member.pk,
        }


def build_world(municipality: Municipality, caseworker: User, *, name: str, kana: str) -> World:
    agency = services.agency_create(
        user=caseworker,
        municipality=municipality,
        name=f"{municipality.name}地域包括支援センター",
        field="elderly",
        kind="地域包括支援センター",
    )
    person, case, consultation = services.intake_record(
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
        consultation=services.ConsultationData(
            occurred_at=timezone.now() - datetime.timedelta(days=10),
            method=master(ConsultationMethod, "phone"),
            summary="民生委員から連絡。母と息子の二人暮らし。",
            follow_up_on=timezone.localdate() - datetime.timedelta(days=1),
        ),
        assigned_to=caseworker,
    )
    household = services.household_create(user=caseworker, case=case, name=f"{name.split()[0]}家")
    son = services.person_create(
        user=caseworker,
        municipality=municipality,
        name=f"{name.split()[0]} 次郎",
        name_kana="ジロウ",
        birth_date=datetime.date(1972, 1, 1),
    )
    member = services.household_add_member(
        user=caseworker, case=case, person=son, relationship=Relationship.SON, works=False
    )
    assert household.pk
    consent = services.consent_record(
        user=caseworker,
        person=person,
        case=case,
        agencies=[agency],
        purpose="支援のため",
        scope="相談内容",
        method=Consent.Method.SIGNATURE,
        given_on=timezone.localdate() - datetime.timedelta(days=5),
    )
    services.case_change_status(user=caseworker, case=case, to_status=Case.Status.ASSESSMENT)
    services.case_change_status(user=caseworker, case=case, to_status=Case.Status.PLANNING)
    plan = services.plan_create(
        user=caseworker,
        case=case,
        goals="母の介護サービス利用と息子の社会参加",
        review_on=timezone.localdate() + datetime.timedelta(days=90),
        actions=[(agency, "介護保険の申請支援"), (None, "息子への訪問")],
    )
    meeting = services.meeting_record(
        user=caseworker,
        municipality=municipality,
        kind=Meeting.Kind.MULTIAGENCY,
        held_on=timezone.localdate(),
        title="第1回 重層的支援会議",
        attendees=[services.AttendeeData(name="包括 職員", organisation="地域包括支援センター")],
        items=[services.MeetingItemData(case=case, decision="decide", plan=plan)],
    )
    referral = services.referral_create(
        user=caseworker,
        case=case,
        from_program=Program.CONSULTATION,
        to_program=Program.PARTICIPATION,
        reason="息子の社会参加の場を探したい",
    )
    plan.refresh_from_db()
    return World(
        person=person,
        case=case,
        consultation=consultation,
        consent=consent,
        plan=plan,
        meeting=meeting,
        referral=referral,
        member=member,
        agency=agency,
    )


@pytest.fixture
def world_a(personas) -> World:
    return build_world(
        personas.municipality_a, personas.caseworker_a, name="山田 花子", kana="ヤマダ ハナコ"
    )


@pytest.fixture
def world_b(personas) -> World:
    return build_world(
        personas.municipality_b, personas.caseworker_b, name="松江 梅子", kana="マツエ ウメコ"
    )
