"""Who works a case inside each agency on it (関係機関の担当者), and the consent checks of a
meeting read in a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.collaboration import AttendeeData, MeetingItemData
from cases.collaboration import services as collaboration_services
from cases.core import (
    case_agency_add,
    case_agency_assign,
    case_open,
    consent_covering,
    consent_withdraw,
    valid_consent_for,
)
from cases.core.consent import cases_with_meeting_consent, covered_pairs
from cases.models import CaseAgency, CaseEvent, Meeting, SupportAgency
from municipalities.models import AuditEvent, Role
from municipalities.scoping import active_membership
from portal.errors import CaseRuleError
from tests.factories import MembershipFactory
from tests.worlds import consent_naming

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def on_case(personas, world_a, other_agency) -> CaseAgency:
    """The other agency on the world's case with the person's consent."""
    consent_naming(personas, world_a, [other_agency])
    case_agency_add(user=personas.caseworker_a, case=world_a.case, agency=other_agency)
    return CaseAgency.objects.get(case=world_a.case, agency=other_agency)


def colleague_of(user, username: str):
    """A second caseworker of the user's organisation."""
    membership = active_membership(user)
    return MembershipFactory(
        municipality=membership.municipality,
        organisation=membership.organisation,
        role=Role.CASEWORKER,
        user__username=username,
    ).user


# --- the service ---------------------------------------------------------------------


def test_the_agencys_own_staff_name_who_works_the_case_there(personas, world_a, on_case):
    colleague = colleague_of(personas.other_agency_a, "colleague")
    link = case_agency_assign(
        user=personas.other_agency_a, case=world_a.case, agency=on_case.agency, staff=colleague
    )
    assert link.assigned_to == colleague
    event = CaseEvent.objects.filter(case=world_a.case, kind="agency_staff_assigned").get()
    assert event.data == {"agency": on_case.agency.pk, "staff": colleague.pk, "previous": None}
    audit = AuditEvent.objects.filter(case_id=world_a.case.pk).order_by("-pk").first()
    assert audit.user == personas.other_agency_a
    assert audit.detail["staff"] == colleague.pk
    # Nobody again, and the same choice twice writes nothing more.
    case_agency_assign(
        user=personas.manager_a, case=world_a.case, agency=on_case.agency, staff=None
    )
    case_agency_assign(
        user=personas.manager_a, case=world_a.case, agency=on_case.agency, staff=None
    )
    assert CaseAgency.objects.get(pk=on_case.pk).assigned_to is None
    assert CaseEvent.objects.filter(case=world_a.case, kind="agency_staff_assigned").count() == 2


def test_only_the_agency_or_the_office_chooses(personas, world_a, on_case):
    # The lead agency's caseworker does not staff another agency.
    with pytest.raises(CaseRuleError) as refused:
        case_agency_assign(
            user=personas.caseworker_a,
            case=world_a.case,
            agency=on_case.agency,
            staff=personas.other_agency_a,
        )
    assert on_case.agency.name in refused.value.message
    assert CaseAgency.objects.get(pk=on_case.pk).assigned_to is None


def test_the_staff_must_work_in_that_agency(personas, world_a, on_case):
    for stranger in (
        personas.caseworker_a,  # another agency of the municipality
        personas.coordinator_a,  # no case role
        personas.caseworker_b,  # another municipality
    ):
        with pytest.raises(CaseRuleError) as refused:
            case_agency_assign(
                user=personas.manager_a, case=world_a.case, agency=on_case.agency, staff=stranger
            )
        assert refused.value.field == "staff"
    # A caseworker who has left the agency cannot be named either.
    colleague = colleague_of(personas.other_agency_a, "leaver")
    colleague.memberships.update(is_active=False)
    with pytest.raises(CaseRuleError):
        case_agency_assign(
            user=personas.manager_a, case=world_a.case, agency=on_case.agency, staff=colleague
        )


def test_an_agency_not_on_the_case_has_nobody_to_name(personas, world_a, other_agency):
    with pytest.raises(CaseRuleError) as refused:
        case_agency_assign(
            user=personas.manager_a,
            case=world_a.case,
            agency=other_agency,
            staff=personas.other_agency_a,
        )
    assert other_agency.name in refused.value.message
    foreign = SupportAgency.objects.create(
        municipality=personas.municipality_b, name="他市の機関", field="other"
    )
    with pytest.raises(CaseRuleError):
        case_agency_assign(user=personas.manager_a, case=world_a.case, agency=foreign, staff=None)


def test_the_named_staff_finds_the_case_on_their_dashboard(client, personas, world_a, on_case):
    colleague = colleague_of(personas.other_agency_a, "colleague")
    client.force_login(colleague)
    assert world_a.case.number not in client.get("/cases/").content.decode()
    case_agency_assign(
        user=personas.other_agency_a, case=world_a.case, agency=on_case.agency, staff=colleague
    )
    assert world_a.case.number in client.get("/cases/").content.decode()


# --- the page ------------------------------------------------------------------------


def test_the_agency_page_names_the_staff_of_an_agency(client, personas, world_a, on_case):
    colleague = colleague_of(personas.other_agency_a, "colleague")
    colleague.display_name = "障害 次郎"
    colleague.save()
    url = f"/cases/{world_a.case.pk}/agencies/"
    client.force_login(personas.other_agency_a)
    page = client.get(url).content.decode()
    assert "障害 次郎" in page  # offered in the agency's own list
    response = client.post(url, {"action": "assign", "agency": on_case.pk, "staff": colleague.pk})
    assert response.status_code == 302
    assert CaseAgency.objects.get(pk=on_case.pk).assigned_to == colleague
    # The lead agency's caseworker sees who it is, but has no list to choose from.
    client.force_login(personas.caseworker_a)
    page = client.get(url).content.decode()
    assert "障害 次郎" in page
    assert f'id="staff-{on_case.pk}"' not in page
    response = client.post(url, {"action": "assign", "agency": on_case.pk, "staff": ""})
    assert response.status_code == 400
    assert CaseAgency.objects.get(pk=on_case.pk).assigned_to == colleague


def test_bad_staff_choices_are_refused_with_a_message(client, personas, world_a, on_case):
    url = f"/cases/{world_a.case.pk}/agencies/"
    client.force_login(personas.other_agency_a)
    other_case = case_open(
        user=personas.caseworker_a, person=world_a.person, route=world_a.case.route
    )
    for bad in (
        {"action": "assign", "agency": on_case.pk, "staff": personas.caseworker_a.pk},
        {"action": "assign", "agency": on_case.pk, "staff": 999999},
        {"action": "assign", "agency": on_case.pk, "staff": "七"},
        {"action": "assign", "agency": "七", "staff": ""},
        {"action": "assign"},
        # A row of another case cannot be reached through this one.
        {"action": "assign", "agency": other_case.pk * 1000, "staff": ""},
    ):
        response = client.post(url, bad)
        assert response.status_code == 400, bad
        assert 'role="alert"' in response.content.decode(), bad
    assert CaseAgency.objects.get(pk=on_case.pk).assigned_to is None


def test_the_agency_page_reads_a_fixed_number_of_queries(
    client, personas, world_a, other_agency, django_assert_max_num_queries
):
    url = f"/cases/{world_a.case.pk}/agencies/"
    client.force_login(personas.manager_a)
    agencies = [other_agency] + [
        SupportAgency.objects.create(
            municipality=personas.municipality_a, name=f"機関{n}", field="other"
        )
        for n in range(4)
    ]
    for agency in agencies[:2]:
        CaseAgency.objects.create(
            municipality=personas.municipality_a, case=world_a.case, agency=agency
        )
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for agency in agencies[2:]:
        CaseAgency.objects.create(
            municipality=personas.municipality_a, case=world_a.case, agency=agency
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


# --- consent checks of a meeting in a fixed number of queries ------------------------


def test_meeting_consent_checks_do_not_grow_with_the_agenda(personas, world_a, other_agency):
    cases = [world_a.case] + [
        case_open(user=personas.caseworker_a, person=world_a.person, route=world_a.case.route)
        for _ in range(3)
    ]
    agencies = [world_a.agency, other_agency]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as pairs_queries:
        pairs = covered_pairs(cases, agencies, TODAY())
    assert len(pairs_queries.captured_queries) == 2
    # The world's consent names the world's agency for its case only; the lead agency
    # leads every case opened by its caseworker.
    assert {(c.pk, world_a.agency.pk) for c in cases} <= pairs
    assert not any(agency == other_agency.pk for _, agency in pairs)
    with CaptureQueriesContext(connection) as meeting_queries:
        covered = cases_with_meeting_consent(cases, TODAY())
    assert len(meeting_queries.captured_queries) == 1
    assert covered == {world_a.case.pk}


def test_a_withdrawn_consent_covers_no_meeting_from_that_day(personas, world_a):
    consent = valid_consent_for(world_a.case, TODAY())
    assert consent is not None
    consent_withdraw(
        user=personas.caseworker_a, consent=consent, withdrawn_on=TODAY(), note="本人の申出"
    )
    assert valid_consent_for(world_a.case, TODAY()) is None
    assert valid_consent_for(world_a.case, TODAY() - datetime.timedelta(days=1)) == consent
    assert cases_with_meeting_consent([world_a.case], TODAY()) == set()


def test_a_multiagency_meeting_accepts_an_agency_the_consent_names(personas, world_a, on_case):
    meeting = collaboration_services.meeting_record(
        user=personas.manager_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.MULTIAGENCY,
        held_on=TODAY(),
        title="重層的支援会議",
        attendees=[
            AttendeeData(name="障害 相談員", organisation="事業所", agency=on_case.agency),
            AttendeeData(name="管理 一郎", organisation="市"),
        ],
        items=[MeetingItemData(case=world_a.case)],
    )
    assert meeting.attendees.filter(agency=on_case.agency).exists()


# --- withdrawal is shown to every agency on the case ---------------------------------


def test_a_withdrawal_shows_on_the_case_to_every_agency_on_it(client, personas, world_a, on_case):
    third = SupportAgency.objects.create(
        municipality=personas.municipality_a, name="とよなか子ども家庭センター", field="children"
    )
    consent = consent_naming(personas, world_a, [third])
    assert consent_covering(world_a.case, third, TODAY()) == consent
    client.force_login(personas.other_agency_a)
    url = f"/cases/{world_a.case.pk}/"
    assert 'id="consent-withdrawn"' not in client.get(url).content.decode()
    consent_withdraw(
        user=personas.caseworker_a, consent=consent, withdrawn_on=TODAY(), note="本人の申出"
    )
    # The other agency on the case sees it at the top of the case.
    page = client.get(url).content.decode()
    assert 'id="consent-withdrawn"' in page
    assert "本人の申出" in page
    # Nothing more is shared on it from that day.
    with pytest.raises(CaseRuleError):
        case_agency_add(user=personas.caseworker_a, case=world_a.case, agency=third)


def test_a_person_wide_withdrawal_is_recorded_on_each_of_their_cases(personas, world_a):
    second = case_open(user=personas.caseworker_a, person=world_a.person, route=world_a.case.route)
    consent = consent_naming(personas, world_a, [world_a.agency], case=None)
    consent_withdraw(user=personas.caseworker_a, consent=consent, withdrawn_on=TODAY())
    events = CaseEvent.objects.filter(kind="consent_withdrawn", data__consent=consent.pk)
    assert {e.case_id for e in events} == {world_a.case.pk, second.pk}


def test_the_two_forms_of_need_to_know_agree(personas, world_a, world_b, on_case):
    """Visibility is written twice — per row (EXISTS, for searches and pages of one case)
    and as a set (a union of index reads, for lists and counts): both give the same
    cases for every way of seeing one, and neither reaches another municipality."""
    from cases.core.queries import case_condition, cases_visible_to, visible_case_ids
    from cases.models import Case, EmergencyAccess

    colleague = colleague_of(personas.other_agency_a, "colleague")
    # Opened by the other agency's caseworker, assigned to them, an emergency look.
    opened = case_open(
        user=personas.other_agency_a, person=world_a.person, route=world_a.case.route
    )
    assigned = case_open(
        user=personas.caseworker_a, person=world_a.person, route=world_a.case.route
    )
    Case.objects.filter(pk=assigned.pk).update(assigned_to=colleague)
    looked = case_open(user=personas.caseworker_a, person=world_a.person, route=world_a.case.route)
    EmergencyAccess.objects.create(
        municipality=personas.municipality_a,
        case=looked,
        user=colleague,
        reason="生命・身体の保護のため至急",
        granted_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    hidden = case_open(user=personas.caseworker_a, person=world_a.person, route=world_a.case.route)
    for user in (personas.other_agency_a, colleague, personas.caseworker_a, personas.caseworker_b):
        per_row = set(
            Case.objects.for_user(user).filter(case_condition(user)).values_list("pk", flat=True)
        )
        as_set = set(
            Case.objects.for_user(user)
            .filter(pk__in=visible_case_ids(user))
            .values_list("pk", flat=True)
        )
        assert per_row == as_set, user
        assert set(cases_visible_to(user).values_list("pk", flat=True)) <= per_row
    seen = set(Case.objects.filter(pk__in=visible_case_ids(colleague)).values_list("pk", flat=True))
    assert {world_a.case.pk, assigned.pk, looked.pk} <= seen  # on the case, assigned, look
    assert hidden.pk not in seen
    assert world_b.case.pk not in seen
    other_seen = set(
        Case.objects.filter(pk__in=visible_case_ids(personas.other_agency_a)).values_list(
            "pk", flat=True
        )
    )
    assert opened.pk in other_seen  # opened by them
