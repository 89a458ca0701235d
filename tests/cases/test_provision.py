"""情報提供書: the case's record provided to an agency on paper, checked against the
person's consent or a 支援会議, recorded on the case and audited as an export."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.collaboration import AttendeeData, MeetingItemData
from cases.collaboration import services as collaboration_services
from cases.core import consent_withdraw
from cases.models import Case, CaseEvent, Consent, Meeting, SupportAgency
from municipalities.models import AuditEvent
from municipalities.scoping import active_membership
from tests.worlds import consent_naming

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def paper_agency(personas) -> SupportAgency:
    """An agency whose staff are not on the portal: it gets the record on paper."""
    return SupportAgency.objects.create(
        municipality=personas.municipality_a,
        name="豊中市民生委員児童委員協議会",
        field="other",
    )


def url(world) -> str:
    return f"/cases/{world.case.pk}/provide/"


def post(client, world, to, **overrides):
    data = {
        "agency": to.pk,
        "sections": ["person", "issues", "consultations", "plan"],
        "since": (TODAY() - datetime.timedelta(days=365)).isoformat(),
        "within_consent": "on",
        **overrides,
    }
    return client.post(url(world), {k: v for k, v in data.items() if v is not None})


def consent_for(personas, world, agency) -> Consent:
    return consent_naming(
        personas,
        world,
        [agency],
        purpose="見守りのための情報共有",
        scope="氏名・連絡先・相談の概要",
    )


def test_the_form_is_offered_to_the_cases_caseworker(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    page = client.get(url(world_a)).content.decode()
    assert 'name="within_consent"' in page
    detail = client.get(f"/cases/{world_a.case.pk}/").content.decode()
    assert url(world_a) in detail


def test_with_consent_the_document_names_its_basis_and_is_audited(
    client, personas, world_a, paper_agency
):
    consent = consent_for(personas, world_a, paper_agency)
    client.force_login(personas.caseworker_a)
    response = post(client, world_a, paper_agency)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="provision-document"' in page
    assert paper_agency.name in page
    assert "見守りのための情報共有" in page  # the purpose the person agreed to
    assert "氏名・連絡先・相談の概要" in page  # and the scope
    assert world_a.person.name in page
    event = CaseEvent.objects.filter(case=world_a.case, kind="information_provided").get()
    assert event.data["agency"] == paper_agency.pk
    assert event.data["basis"] == "consent"
    assert event.data["consent"] == consent.pk
    audit = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, case_id=world_a.case.pk)
    assert audit.get().detail["agency"] == paper_agency.pk
    assert audit.get().user == personas.caseworker_a


def test_without_consent_it_is_refused_naming_what_is_missing(
    client, personas, world_a, paper_agency
):
    client.force_login(personas.caseworker_a)
    response = post(client, world_a, paper_agency)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="provision-document"' not in page
    assert paper_agency.name in page
    assert "同意" in page
    assert not CaseEvent.objects.filter(kind="information_provided").exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_withdrawn_consent_provides_nothing(client, personas, world_a, paper_agency):
    consent = consent_for(personas, world_a, paper_agency)
    consent_withdraw(user=personas.caseworker_a, consent=consent, withdrawn_on=TODAY())
    client.force_login(personas.caseworker_a)
    assert post(client, world_a, paper_agency).status_code == 400


def test_a_support_meeting_the_agency_attended_is_a_basis(client, personas, world_a, paper_agency):
    meeting = collaboration_services.meeting_record(
        user=personas.manager_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.SUPPORT,
        held_on=TODAY(),
        title="支援会議（見守り）",
        attendees=[
            AttendeeData(
                name="民生 委員",
                organisation=paper_agency.name,
                agency=paper_agency,
                secrecy_acknowledged=True,
            ),
        ],
        items=[MeetingItemData(case=world_a.case)],
    )
    client.force_login(personas.caseworker_a)
    response = post(client, world_a, paper_agency, meeting=meeting.pk)
    assert response.status_code == 200
    assert "106" in response.content.decode()
    event = CaseEvent.objects.filter(case=world_a.case, kind="information_provided").get()
    assert event.data["basis"] == "support_meeting"
    assert event.data["meeting"] == meeting.pk


def test_a_sensitive_case_leaves_out_address_and_phone(client, personas, world_a, paper_agency):
    Case.objects.filter(pk=world_a.case.pk).update(is_sensitive=True)
    world_a.person.address = "豊中市緑丘一丁目2-3"
    world_a.person.phone_mobile = "090-1234-5678"
    world_a.person.save()
    consent_for(personas, world_a, paper_agency)
    client.force_login(personas.caseworker_a)
    page = post(client, world_a, paper_agency).content.decode()
    assert "豊中市緑丘一丁目2-3" not in page
    assert "090-1234-5678" not in page
    assert world_a.person.name in page


def test_only_the_sections_chosen_are_provided(client, personas, world_a, paper_agency):
    consent_for(personas, world_a, paper_agency)
    world_a.person.address = "豊中市緑丘一丁目2-3"
    world_a.person.save()
    client.force_login(personas.caseworker_a)
    page = post(client, world_a, paper_agency, sections=["issues"]).content.decode()
    assert "豊中市緑丘一丁目2-3" not in page
    event = CaseEvent.objects.filter(case=world_a.case, kind="information_provided").get()
    assert event.data["sections"] == ["issues"]


def test_bad_input_is_refused_with_a_message(client, personas, world_a, paper_agency):
    consent_for(personas, world_a, paper_agency)
    foreign = SupportAgency.objects.create(
        municipality=personas.municipality_b, name="他市の機関", field="other"
    )
    inactive = SupportAgency.objects.create(
        municipality=personas.municipality_a, name="廃止した機関", field="other", is_active=False
    )
    client.force_login(personas.caseworker_a)
    for bad in (
        {"within_consent": None},  # not confirmed
        {"sections": []},
        {"sections": ["everything"]},
        {"agency": foreign.pk},
        {"agency": inactive.pk},
        {"agency": 999999},
        {"agency": "七"},
        {"since": (TODAY() + datetime.timedelta(days=3)).isoformat()},
        {"since": "2026-02-30"},
        # A meeting that is not a 支援会議 of this case is no basis.
        {"meeting": world_a.meeting.pk},
    ):
        response = post(client, world_a, paper_agency, **bad)
        assert response.status_code == 400, bad
        assert 'id="provision-document"' not in response.content.decode(), bad
    assert not CaseEvent.objects.filter(kind="information_provided").exists()


def test_an_agency_merely_involved_cannot_provide(client, personas, world_a, paper_agency):
    other = SupportAgency.objects.create(
        municipality=personas.municipality_a,
        name="とよなか障害者相談支援事業所",
        field="disability",
        organisation=active_membership(personas.other_agency_a).organisation,
    )
    consent_for(personas, world_a, other)
    consent_for(personas, world_a, paper_agency)
    from cases.core import case_agency_add

    case_agency_add(user=personas.caseworker_a, case=world_a.case, agency=other)
    client.force_login(personas.other_agency_a)
    assert client.get(url(world_a)).status_code == 200
    response = post(client, world_a, paper_agency)
    assert response.status_code == 400
    assert not CaseEvent.objects.filter(kind="information_provided").exists()


def test_other_municipalities_and_agencies_get_404(client, personas, world_a, paper_agency):
    consent_for(personas, world_a, paper_agency)
    for user in (personas.caseworker_b, personas.other_agency_a):
        client.force_login(user)
        assert client.get(url(world_a)).status_code == 404
        assert post(client, world_a, paper_agency).status_code == 404
    for user in (personas.coordinator_a, personas.community_worker_a):
        client.force_login(user)
        assert client.get(url(world_a)).status_code in (403, 404)
    assert not CaseEvent.objects.filter(kind="information_provided").exists()
