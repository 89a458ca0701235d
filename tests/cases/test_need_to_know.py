"""Need to know inside a municipality (DESIGN §9): an agency's staff see the cases their
agency is on; sharing with another agency is checked against the person's consent or
recorded under a 支援会議; the 重層 office sees the whole municipality."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Q
from django.utils import timezone
from rest_framework.test import APIClient

from cases.collaboration import AttendeeData, MeetingItemData
from cases.collaboration import services as collaboration_services
from cases.core import (
    case_agency_add,
    case_agency_remove,
    case_lead_hand_over,
    consent_covering,
    consent_withdraw,
    valid_consent_for,
)
from cases.models import Case, CaseEvent, Consent, Meeting, SupportAgency
from cases.programs import AGENCY, CONSULTATION
from municipalities.models import AuditEvent
from municipalities.scoping import active_membership
from portal.errors import CaseRuleError
from tests.worlds import consent_naming

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def support_meeting(personas, world, agency, *, acknowledged=True, days_ago=1) -> Meeting:
    return collaboration_services.meeting_record(
        user=personas.manager_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.SUPPORT,
        held_on=TODAY() - datetime.timedelta(days=days_ago),
        title="支援会議",
        attendees=[
            AttendeeData(
                name="障害 相談員",
                organisation=agency.name,
                agency=agency,
                secrecy_acknowledged=acknowledged,
            ),
            AttendeeData(name="管理 一郎", organisation="市", secrecy_acknowledged=True),
        ],
        items=[MeetingItemData(case=world.case)],
    )


# --- the consent rule --------------------------------------------------------------


def test_the_world_case_is_led_by_the_caseworkers_agency(personas, world_a):
    assert world_a.case.lead_agency == world_a.agency
    assert world_a.agency.organisation == active_membership(personas.caseworker_a).organisation


def test_consent_covers_only_the_agencies_it_names(personas, world_a, other_agency):
    assert consent_covering(world_a.case, world_a.agency, TODAY()) == world_a.consent
    assert consent_covering(world_a.case, other_agency, TODAY()) is None
    with pytest.raises(CaseRuleError) as refused:
        case_agency_add(user=personas.caseworker_a, case=world_a.case, agency=other_agency)
    assert other_agency.name in refused.value.message
    assert "同意" in refused.value.message
    assert not world_a.case.agencies.filter(pk=other_agency.pk).exists()


def test_consent_of_another_case_does_not_cover_this_one(personas, world_a, other_agency):
    from cases.core import case_open

    other_case = case_open(
        user=personas.caseworker_a, person=world_a.person, route=world_a.case.route
    )
    consent_naming(personas, world_a, [other_agency], case=other_case)
    assert consent_covering(world_a.case, other_agency, TODAY()) is None
    assert consent_covering(other_case, other_agency, TODAY()) is not None


def test_person_wide_consent_covers_every_case(personas, world_a, other_agency):
    consent_naming(personas, world_a, [other_agency], case=None)
    assert consent_covering(world_a.case, other_agency, TODAY()) is not None


def test_consent_counts_from_the_day_it_was_given(personas, world_a, other_agency):
    consent_naming(personas, world_a, [other_agency], given_on=TODAY())
    assert consent_covering(world_a.case, other_agency, TODAY()) is not None
    assert consent_covering(world_a.case, other_agency, TODAY() - datetime.timedelta(1)) is None


def test_withdrawal_stops_sharing_from_that_day(personas, world_a, other_agency):
    consent = consent_naming(personas, world_a, [other_agency])
    consent_withdraw(user=personas.caseworker_a, consent=consent, withdrawn_on=TODAY())
    assert consent_covering(world_a.case, other_agency, TODAY()) is None
    yesterday = TODAY() - datetime.timedelta(days=1)
    assert consent_covering(world_a.case, other_agency, yesterday) == consent
    with pytest.raises(CaseRuleError):
        case_agency_add(user=personas.caseworker_a, case=world_a.case, agency=other_agency)


def test_a_multiagency_meeting_takes_only_the_persons_own_consent(personas, world_a):
    """共同利用 or a legal provision may cover sharing with the agencies they name, but a
    重層的支援会議 takes up a case only with the person's consent (本人同意)."""
    Consent.objects.filter(pk=world_a.consent.pk).update(legal_basis=Consent.LegalBasis.JOINT_USE)
    assert valid_consent_for(world_a.case, TODAY()) is None
    assert consent_covering(world_a.case, world_a.agency, TODAY()) is not None


def test_adding_an_agency_named_by_consent_is_recorded(personas, world_a, other_agency):
    consent = consent_naming(personas, world_a, [other_agency])
    case_agency_add(user=personas.caseworker_a, case=world_a.case, agency=other_agency)
    assert world_a.case.agencies.filter(pk=other_agency.pk).exists()
    event = CaseEvent.objects.filter(case=world_a.case, kind="agency_added").get()
    assert event.data["basis"] == "consent"
    assert event.data["consent"] == consent.pk
    audit = AuditEvent.objects.filter(case_id=world_a.case.pk).order_by("-pk").first()
    assert audit.detail["agency_added"] == other_agency.pk


def test_a_support_meeting_is_a_basis_without_consent(personas, world_a, other_agency):
    meeting = support_meeting(personas, world_a, other_agency)
    case_agency_add(
        user=personas.caseworker_a, case=world_a.case, agency=other_agency, meeting=meeting
    )
    event = CaseEvent.objects.filter(case=world_a.case, kind="agency_added").get()
    assert event.data == {
        "agency": other_agency.pk,
        "basis": "support_meeting",
        "meeting": meeting.pk,
    }


def test_a_support_meeting_the_agency_did_not_attend_is_no_basis(personas, world_a, other_agency):
    third = SupportAgency.objects.create(
        municipality=personas.municipality_a, name="第三の機関", field="other"
    )
    meeting = support_meeting(personas, world_a, third)
    with pytest.raises(CaseRuleError) as refused:
        case_agency_add(
            user=personas.caseworker_a, case=world_a.case, agency=other_agency, meeting=meeting
        )
    assert "支援会議" in refused.value.message
    assert not world_a.case.agencies.filter(pk=other_agency.pk).exists()


def test_a_support_meeting_of_another_case_is_no_basis(personas, world_a, other_agency):
    from cases.core import case_open

    other_case = case_open(
        user=personas.caseworker_a, person=world_a.person, route=world_a.case.route
    )
    meeting = support_meeting(personas, world_a, other_agency)
    with pytest.raises(CaseRuleError):
        case_agency_add(
            user=personas.caseworker_a, case=other_case, agency=other_agency, meeting=meeting
        )


def test_hand_over_keeps_the_previous_lead_on_the_case(personas, world_a, other_agency):
    consent_naming(personas, world_a, [other_agency])
    case_lead_hand_over(user=personas.caseworker_a, case=world_a.case, agency=other_agency)
    case = Case.objects.get(pk=world_a.case.pk)
    assert case.lead_agency == other_agency
    assert list(case.agencies.all()) == [world_a.agency]
    with pytest.raises(CaseRuleError):
        case_agency_remove(
            user=personas.other_agency_a, case=case, agency=other_agency, reason="終了"
        )
    with pytest.raises(CaseRuleError):
        case_agency_remove(
            user=personas.other_agency_a, case=case, agency=world_a.agency, reason=""
        )
    case_agency_remove(
        user=personas.other_agency_a, case=case, agency=world_a.agency, reason="役割を終えた"
    )
    assert not case.agencies.exists()
    assert CaseEvent.objects.filter(case=case, kind="lead_handed_over").exists()
    assert CaseEvent.objects.filter(case=case, kind="agency_removed").exists()


def test_hand_over_without_consent_is_refused(personas, world_a, other_agency):
    with pytest.raises(CaseRuleError):
        case_lead_hand_over(user=personas.caseworker_a, case=world_a.case, agency=other_agency)
    assert Case.objects.get(pk=world_a.case.pk).lead_agency == world_a.agency


def test_an_agency_merely_involved_cannot_change_who_is_on_the_case(
    personas, world_a, other_agency
):
    consent_naming(personas, world_a, [other_agency])
    case_agency_add(user=personas.caseworker_a, case=world_a.case, agency=other_agency)
    third = SupportAgency.objects.create(
        municipality=personas.municipality_a, name="第三の機関", field="other"
    )
    with pytest.raises(CaseRuleError):
        case_agency_add(user=personas.other_agency_a, case=world_a.case, agency=third)


def test_referral_to_an_agency_needs_consent_and_opens_the_case_on_acceptance(
    personas, world_a, other_agency
):
    with pytest.raises(CaseRuleError) as refused:
        collaboration_services.referral_create(
            user=personas.caseworker_a,
            case=world_a.case,
            from_program=CONSULTATION,
            to_program=AGENCY,
            to_agency=other_agency,
            reason="障害福祉サービスの相談",
        )
    assert refused.value.field == "to_agency"
    consent_naming(personas, world_a, [other_agency])
    referral = collaboration_services.referral_create(
        user=personas.caseworker_a,
        case=world_a.case,
        from_program=CONSULTATION,
        to_program=AGENCY,
        to_agency=other_agency,
        reason="障害福祉サービスの相談",
    )
    # Only the receiving agency answers (its staff are on the portal).
    assert not collaboration_services.can_respond(personas.caseworker_a, referral)
    assert collaboration_services.can_respond(personas.other_agency_a, referral)
    assert collaboration_services.can_respond(personas.manager_a, referral)
    collaboration_services.referral_respond(
        user=personas.other_agency_a, referral=referral, accept=True
    )
    assert world_a.case.agencies.filter(pk=other_agency.pk).exists()


def test_a_multiagency_meeting_refuses_an_attending_agency_the_consent_does_not_name(
    personas, world_a, other_agency
):
    before = Meeting.objects.count()
    with pytest.raises(CaseRuleError) as refused:
        collaboration_services.meeting_record(
            user=personas.manager_a,
            municipality=personas.municipality_a,
            kind=Meeting.Kind.MULTIAGENCY,
            held_on=TODAY(),
            title="重層的支援会議",
            attendees=[
                AttendeeData(name="障害 相談員", organisation="事業所", agency=other_agency)
            ],
            items=[MeetingItemData(case=world_a.case)],
        )
    assert other_agency.name in refused.value.message
    assert Meeting.objects.count() == before


# --- what each agency sees ---------------------------------------------------------


def test_another_agency_finds_nobody_it_has_no_case_of(client, personas, world_a, other_agency):
    client.force_login(personas.other_agency_a)
    html = client.get("/cases/persons/", {"q": "やまだ"}).content.decode()
    assert "山田 花子" not in html
    client.force_login(personas.caseworker_a)
    assert "山田 花子" in client.get("/cases/persons/", {"q": "やまだ"}).content.decode()


def test_another_agency_sees_no_flag_of_the_case(client, personas, world_a, other_agency):
    from cases.engine.queries import flag_queue

    assert world_a.flag is not None
    assert not flag_queue(personas.other_agency_a).filter(case=world_a.case).exists()
    assert flag_queue(personas.caseworker_a).filter(case=world_a.case).exists()


def test_a_referral_to_the_agency_shows_it_without_the_case(
    client, personas, world_a, other_agency
):
    consent_naming(personas, world_a, [other_agency])
    referral = collaboration_services.referral_create(
        user=personas.caseworker_a,
        case=world_a.case,
        from_program=CONSULTATION,
        to_program=AGENCY,
        to_agency=other_agency,
        reason="障害福祉サービスの相談",
    )
    client.force_login(personas.other_agency_a)
    page = client.get(f"/cases/referrals/{referral.pk}/")
    assert page.status_code == 200
    assert "障害福祉サービスの相談" in page.content.decode()
    assert client.get(f"/cases/{world_a.case.pk}/").status_code == 404
    assert client.get(f"/cases/consultations/{world_a.consultation.pk}/edit/").status_code == 404


PAGE_PERSONAS = ["caseworker_a", "other_agency_a", "manager_a", "multiagency_a"]


@pytest.mark.parametrize("persona", PAGE_PERSONAS)
def test_the_api_returns_the_cases_and_persons_the_pages_show(
    client, personas, world_a, other_agency, persona
):
    user = personas.all()[persona]
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    cases = Case.objects.filter(municipality=personas.municipality_a)
    on_pages = {c.pk for c in cases if client.get(f"/cases/{c.pk}/").status_code == 200}
    listed = {r["id"] for r in api.get("/api/cases/", {"page_size": 500}).json()["results"]}
    assert listed == on_pages
    persons = {c.person_id for c in cases} | {m.person_id for m in [world_a.member]}
    on_pages = {p for p in persons if client.get(f"/cases/persons/{p}/").status_code == 200}
    listed = {r["id"] for r in api.get("/api/persons/", {"page_size": 500}).json()["results"]}
    assert listed == on_pages
    if persona == "other_agency_a":
        assert on_pages == set()


def test_the_agency_page_changes_who_is_on_the_case(client, personas, world_a, other_agency):
    consent_naming(personas, world_a, [other_agency])
    client.force_login(personas.caseworker_a)
    url = f"/cases/{world_a.case.pk}/agencies/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "add", "agency": other_agency.pk})
    assert response.status_code == 302
    assert world_a.case.agencies.filter(pk=other_agency.pk).exists()
    # Bad input: an agency of another municipality, a removal without reason.
    foreign = SupportAgency.objects.create(
        municipality=personas.municipality_b, name="他市の機関", field="other"
    )
    assert client.post(url, {"action": "add", "agency": foreign.pk}).status_code == 400
    for bad in (
        {"action": "bogus", "agency": other_agency.pk},
        {"action": "add", "agency": 999999},
        {"action": "add", "agency": "七"},
        {"action": "add"},
        # A meeting that is no 支援会議 of this case cannot be chosen as a basis.
        {"action": "lead", "agency": other_agency.pk, "meeting": world_a.meeting.pk},
    ):
        assert client.post(url, bad).status_code == 400, bad
    assert Case.objects.get(pk=world_a.case.pk).lead_agency == world_a.agency
    response = client.post(url, {"action": "remove", "agency": other_agency.pk, "reason": ""})
    assert response.status_code == 400
    assert "理由" in response.content.decode()
    # The other agency's staff now see the case, but cannot change who is on it.
    client.force_login(personas.other_agency_a)
    assert client.get(f"/cases/{world_a.case.pk}/").status_code == 200
    third = SupportAgency.objects.create(
        municipality=personas.municipality_a, name="第三の機関", field="other"
    )
    assert client.post(url, {"action": "add", "agency": third.pk}).status_code == 400
    assert not world_a.case.agencies.filter(pk=third.pk).exists()


def test_search_says_without_a_name_that_another_agency_may_know_the_person(
    client, personas, world_a, other_agency
):
    """The other agency finds nobody, but is told (no name) to ask the office, because
    the person's consent in force allows the hint. Without consent, not even that."""
    client.force_login(personas.other_agency_a)
    html = client.get("/cases/persons/", {"q": "やまだ"}).content.decode()
    assert "山田 花子" not in html
    assert "他の機関ですでに把握されている可能性があります" in html
    html = client.get("/cases/persons/", {"q": "いない人"}).content.decode()
    assert "他の機関ですでに把握されている可能性があります" not in html
    consent_withdraw(user=personas.caseworker_a, consent=world_a.consent, withdrawn_on=TODAY())
    html = client.get("/cases/persons/", {"q": "やまだ"}).content.decode()
    assert "他の機関ですでに把握されている可能性があります" not in html


def test_intake_asks_to_check_with_the_office_before_a_second_registration(
    client, personas, world_a, other_agency
):
    from cases.models import ConsultationMethod, ContactRoute, Person

    client.force_login(personas.other_agency_a)
    data = {
        "person-name": "山田 花子",
        "person-name_kana": "ヤマダ ハナコ",
        "person-sex": "female",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "method": ConsultationMethod.objects.get(municipality=None, code="phone").pk,
        "route": ContactRoute.objects.get(municipality=None, code="self").pk,
        "summary": "本人から電話",
    }
    response = client.post("/cases/intake/", data)
    assert response.status_code == 400
    assert "重層事務局" in response.content.decode()
    assert "ヤマダ ハナコ" not in response.content.decode().split("id_person-name_kana")[0]
    assert Person.objects.filter(name="山田 花子").count() == 1
    response = client.post("/cases/intake/", {**data, "not_a_duplicate": "on"})
    assert response.status_code == 302
    assert Person.objects.filter(name="山田 花子").count() == 2


# --- an emergency look (生命・身体の保護) ----------------------------------------------


def test_an_emergency_look_opens_the_case_for_a_day_with_its_reason(
    client, personas, world_a, other_agency
):
    from cases.models import EmergencyAccess

    client.force_login(personas.other_agency_a)
    page = client.get("/cases/persons/", {"q": "やまだ"}).content.decode()
    assert "緊急" in page
    # Bad input: no reason, a reason too short, a search that matches nobody hidden.
    for reason in ("", "急ぎ"):
        response = client.post("/cases/persons/emergency/", {"q": "やまだ", "reason": reason})
        assert response.status_code == 400
    response = client.post(
        "/cases/persons/emergency/", {"q": "いない人", "reason": "倒れているとの通報があった"}
    )
    assert response.status_code == 400
    assert client.get("/cases/persons/emergency/").status_code == 405
    bad_date = {"q": "やまだ", "birth_date": "2026-13-40", "reason": "倒れているとの通報があった"}
    assert client.post("/cases/persons/emergency/", bad_date).status_code == 400
    assert not EmergencyAccess.objects.filter(user=personas.other_agency_a).exists()

    reason = "本人が自宅で倒れているとの通報。持病と緊急連絡先を確認したい。"
    response = client.post("/cases/persons/emergency/", {"q": "やまだ", "reason": reason})
    assert response.status_code == 302
    look = EmergencyAccess.objects.get(user=personas.other_agency_a)
    assert look.case == world_a.case
    assert look.reason == reason
    assert (look.expires_at - look.granted_at).total_seconds() == 24 * 3600
    assert client.get(f"/cases/{world_a.case.pk}/").status_code == 200
    audit = AuditEvent.objects.filter(user=personas.other_agency_a, case_id=world_a.case.pk)
    assert audit.filter(detail__reason=reason).exists()

    # The office sees it on the dashboard until a manager has read it.
    client.force_login(personas.manager_a)
    assert reason in client.get("/cases/").content.decode()
    assert client.post(f"/cases/emergency/{look.pk}/review/").status_code == 302
    assert reason not in client.get("/cases/").content.decode()
    look.refresh_from_db()
    assert look.reviewed_by == personas.manager_a

    # A day later the case is closed to the other agency again.
    EmergencyAccess.objects.filter(pk=look.pk).update(expires_at=timezone.now())
    client.force_login(personas.other_agency_a)
    assert client.get(f"/cases/{world_a.case.pk}/").status_code == 404


def test_only_the_office_reviews_emergency_looks(client, personas, world_a, other_agency):
    for persona in ("caseworker_a", "other_agency_a", "coordinator_a"):
        client.force_login(personas.all()[persona])
        response = client.post(f"/cases/emergency/{world_a.look.pk}/review/")
        assert response.status_code == 404, persona
    client.force_login(personas.multiagency_a)
    assert client.post(f"/cases/emergency/{world_a.look.pk}/review/").status_code == 302


def emergency_look(personas, case):
    """The other agency's caseworker's emergency look at ``case``, in force for an hour."""
    from cases.models import EmergencyAccess

    return EmergencyAccess.objects.create(
        municipality=personas.municipality_a,
        case=case,
        user=personas.other_agency_a,
        reason="本人が自宅で倒れているとの通報。",
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )


def test_the_visible_cases_statement_is_each_user_s_and_reads_the_time_now_each_time(
    personas, world_a, other_agency
):
    """``visible_case_ids`` is compiled once per user's ids and reused: it must still be
    that user's cases, and an emergency look must end when it expires."""
    from cases.core.compiled import _compile
    from cases.core.queries import visible_case_ids
    from cases.models import EmergencyAccess

    def visible(user) -> set[int]:
        return set(Case.objects.filter(pk__in=visible_case_ids(user)).values_list("pk", flat=True))

    assert world_a.case.pk in visible(personas.caseworker_a)
    assert world_a.case.pk not in visible(personas.other_agency_a)
    hits = _compile.cache_info().hits
    assert world_a.case.pk in visible(personas.caseworker_a)
    assert world_a.case.pk not in visible(personas.other_agency_a)
    assert _compile.cache_info().hits == hits + 2

    look = emergency_look(personas, world_a.case)
    assert world_a.case.pk in visible(personas.other_agency_a)
    EmergencyAccess.objects.filter(pk=look.pk).update(expires_at=timezone.now())
    assert world_a.case.pk not in visible(personas.other_agency_a)
    # Another municipality's staff: none of these cases.
    assert world_a.case.pk not in visible(personas.caseworker_b)


def test_the_compiled_conditions_are_those_of_the_orm_wherever_they_are_used(
    personas, world_a, world_b, other_agency
):
    """The need-to-know conditions compiled once (``cases.core.compiled``) keep the same
    rows as the ORM's own, also inside a query of the same table they read (a case's
    person seen from a query of cases) and inside another sub-select."""
    from django.db.models import Exists, OuterRef

    from cases.core.queries import (
        _agency_condition,
        _agency_q,
        _cases_of_person,
        _households_of_person,
        person_condition,
    )
    from cases.models import Household, HouseholdMember, Person
    from tests.worlds import case_of_new_person

    # A case of the other agency, which the first agency's caseworker may not see.
    theirs = case_of_new_person(
        personas.other_agency_a, personas.municipality_a, "他機関 太郎", "タキカン タロウ"
    )
    for user in (personas.caseworker_a, personas.other_agency_a, personas.caseworker_b):
        membership = active_membership(user)
        ids = (membership.organisation_id, user.pk, timezone.now())
        orm_cases = set(Case.objects.filter(_agency_q(*ids)).values_list("pk", flat=True))
        assert set(Case.objects.filter(_agency_condition(user)).values_list("pk", flat=True)) == (
            orm_cases
        )
        orm_persons = set(
            Person.objects.filter(
                Exists(_cases_of_person(*ids, OuterRef("pk")))
                | Exists(_households_of_person(*ids, OuterRef("pk")))
                | Q(created_by_id=user.pk)
            ).values_list("pk", flat=True)
        )
        assert set(Person.objects.filter(person_condition(user)).values_list("pk", flat=True)) == (
            orm_persons
        )
        # A query of cases by their person's visibility: the inner cases are not the outer.
        assert set(
            Case.objects.filter(person_condition(user, "person")).values_list("pk", flat=True)
        ) == set(Case.objects.filter(person_id__in=orm_persons).values_list("pk", flat=True))
        # Inside another sub-select (households with a visible case).
        households = Household.objects.filter(
            Exists(Case.objects.filter(_agency_condition(user), household_id=OuterRef("pk")))
        )
        assert set(households.values_list("pk", flat=True)) == set(
            Case.objects.filter(pk__in=orm_cases).values_list("household_id", flat=True)
        ) - {None}
        assert HouseholdMember.objects.filter(person_condition(user, "person")).count() == (
            HouseholdMember.objects.filter(person_id__in=orm_persons).count()
        )
    assert world_a.case.pk in set(
        Case.objects.filter(_agency_condition(personas.caseworker_a)).values_list("pk", flat=True)
    )
    assert world_a.case.pk not in set(
        Case.objects.filter(_agency_condition(personas.other_agency_a)).values_list("pk", flat=True)
    )
    mine = Case.objects.filter(person_condition(personas.caseworker_a, "person"))
    assert world_a.case in mine
    assert theirs not in mine
    assert world_b.case not in mine


def test_the_condition_checked_by_row_keeps_the_rows_of_the_one_by_sub_select(
    personas, world_a, world_b, other_agency
):
    """``case_condition_by_row`` (the dashboard's follow-ups and waiting referrals) keeps
    the same consultations and referrals as ``case_condition`` for every role, with the
    other agency on a case, an emergency look in force and expired, and a case the
    caseworker opened that another agency leads."""
    from cases.collaboration.queries import referrals_visible_to
    from cases.core.queries import case_condition, case_condition_by_row
    from cases.core.sharing import case_agency_add
    from cases.models import Consultation, EmergencyAccess, Referral
    from tests.worlds import case_of_new_person, consent_given

    theirs = case_of_new_person(
        personas.other_agency_a, personas.municipality_a, "他機関 太郎", "タキカン タロウ"
    )
    shared = case_of_new_person(
        personas.caseworker_a, personas.municipality_a, "共有 花子", "キョウユウ ハナコ"
    )
    consent_given(personas.caseworker_a, shared, [other_agency])
    case_agency_add(user=personas.manager_a, case=shared, agency=other_agency)
    for case, to_agency in (
        (world_a.case, None),
        (theirs, None),
        (shared, None),
        (world_a.case, other_agency),
    ):
        Referral.objects.create(
            municipality=personas.municipality_a,
            case=case,
            from_program="community",
            to_program="agency" if to_agency else "consultation",
            to_agency=to_agency,
            reason="気になる",
            acknowledge_by=timezone.localdate(),
            created_by=personas.community_worker_a,
        )
    look = emergency_look(personas, world_a.case)

    def rows(user, model, condition):
        return set(model.objects.for_user(user).filter(condition).values_list("pk", flat=True))

    def same_rows():
        for user in personas.all().values():
            if active_membership(user) is None:
                continue
            for model in (Consultation, Referral):
                by_row = rows(user, model, case_condition_by_row(user, "case"))
                assert by_row == rows(user, model, case_condition(user, "case")), (user, model)
            assert set(referrals_visible_to(user, by_row=True)) == set(referrals_visible_to(user))

    same_rows()
    other = personas.other_agency_a
    assert world_a.case.pk in {
        c.case_id for c in Consultation.objects.filter(case_condition_by_row(other, "case"))
    }
    EmergencyAccess.objects.filter(pk=look.pk).update(expires_at=timezone.now())
    same_rows()
    assert not Consultation.objects.filter(case_condition_by_row(other, "case"), case=world_a.case)
    seen = {r.case_id for r in Referral.objects.filter(case_condition_by_row(other, "case"))}
    assert world_a.case.pk not in seen
    assert {theirs.pk, shared.pk} <= seen
    assert world_b.case.pk not in seen
