"""Choosing a case by number, by its sequence alone or by the person's name, as the
user types — only among the cases the user may see."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.core import case_from_reference, case_open
from cases.models import MeetingCase
from community import services as community_services
from municipalities.models import AuditEvent
from portal.errors import CaseRuleError

pytestmark = pytest.mark.django_db

URL = "/cases/pick/cases/"


def sequence(case) -> str:
    return str(int(case.number.split("-")[1]))


@pytest.mark.parametrize("typed", ["number", "sequence", "number and name", "kanji", "kana"])
def test_a_case_is_found_however_it_is_typed(personas, world_a, typed):
    text = {
        "number": world_a.case.number,
        "sequence": sequence(world_a.case),
        "number and name": f"{world_a.case.number} {world_a.person.name}",
        "kanji": "山田 花子",
        "kana": "やまだ はなこ",
    }[typed]
    assert case_from_reference(personas.caseworker_a, text) == world_a.case


def test_nothing_or_several_matches_say_so(personas, world_a):
    with pytest.raises(CaseRuleError) as nothing:
        case_from_reference(personas.caseworker_a, "9999")
    assert "9999" in nothing.value.message
    second = case_open(user=personas.caseworker_a, person=world_a.person, route=world_a.case.route)
    with pytest.raises(CaseRuleError) as several:
        case_from_reference(personas.caseworker_a, "山田")
    assert world_a.case.number in several.value.message
    assert second.number in several.value.message
    assert "番号" in several.value.message


def test_a_case_the_user_may_not_see_is_never_matched(personas, world_a, world_b):
    for user in (personas.other_agency_a, personas.caseworker_b, personas.coordinator_a):
        for text in (world_a.case.number, "山田"):
            try:
                found = case_from_reference(user, text)
            except CaseRuleError:
                continue
            # Municipality B numbers its cases the same way: its own case, never A's.
            assert found != world_a.case
            assert found.municipality_id != world_a.case.municipality_id


def test_the_picker_offers_the_users_cases_and_is_audited(client, personas, world_a, world_b):
    client.force_login(personas.caseworker_a)
    response = client.get(URL, {"q": "やまだ"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [world_a.case.pk]
    assert results[0]["value"] == f"{world_a.case.number} {world_a.person.name}"
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SEARCH).latest("pk")
    assert event.detail["picker"] == "case"
    assert event.detail["results"] == [world_a.case.pk]
    # Nothing typed, nothing offered (and nothing audited).
    before = AuditEvent.objects.count()
    assert client.get(URL, {"q": " "}).json() == {"results": []}
    assert AuditEvent.objects.count() == before
    # Another agency and another municipality are offered nothing of it.
    for user in (personas.other_agency_a, personas.caseworker_b):
        client.force_login(user)
        ids = [r["id"] for r in client.get(URL, {"q": world_a.case.number}).json()["results"]]
        assert world_a.case.pk not in ids


def test_bad_input_to_the_picker_is_refused_with_a_reason(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    for bad in ("\x00", "山田\x07", "あ" * 101):
        response = client.get(URL, {"q": bad})
        assert response.status_code == 400
        assert "q" in response.json()["detail"]
    assert client.post(URL, {"q": "山田"}).status_code == 405
    for user in (personas.coordinator_a, personas.community_worker_a):
        client.force_login(user)
        assert client.get(URL, {"q": "山田"}).status_code in (403, 404)


def test_the_picker_reads_a_fixed_number_of_queries(
    client, personas, world_a, django_assert_max_num_queries
):
    client.force_login(personas.caseworker_a)
    client.get(URL, {"q": "やまだ"})
    with django_assert_max_num_queries(15) as first:
        client.get(URL, {"q": "やまだ"})
    for _ in range(4):
        case_open(user=personas.caseworker_a, person=world_a.person, route=world_a.case.route)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert len(client.get(URL, {"q": "やまだ"}).json()["results"]) == 5


# --- the forms that take a case -------------------------------------------------------


def a_concern(personas):
    return community_services.concern_record(
        user=personas.community_worker_a,
        municipality=personas.municipality_a,
        reporter_kind="resident",
        observation="郵便受けに新聞がたまっている",
        urgency="normal",
        subject_name="山田 花子",
    )


def test_a_concern_joins_a_case_chosen_by_its_sequence(client, personas, world_a):
    concern = a_concern(personas)
    client.force_login(personas.caseworker_a)
    url = reverse("community:concern_link", args=[concern.pk])
    response = client.post(url, {"case_number": sequence(world_a.case)})
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.case == world_a.case


def test_a_concern_keeps_what_was_typed_when_it_is_not_enough(client, personas, world_a):
    case_open(user=personas.caseworker_a, person=world_a.person, route=world_a.case.route)
    concern = a_concern(personas)
    client.force_login(personas.caseworker_a)
    url = reverse("community:concern_link", args=[concern.pk])
    response = client.post(url, {"case_number": "山田"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="山田"' in html  # the field keeps it
    assert "複数のケース" in html
    assert 'data-picker="/cases/pick/cases/"' in html
    concern.refresh_from_db()
    assert concern.case is None


def test_a_meeting_agenda_takes_numbers_sequences_and_names(client, personas, world_a):
    client.force_login(personas.manager_a)
    data = {
        "kind": "support",
        "held_on": timezone.localdate().isoformat(),
        "title": "支援会議",
        "attendee_0_name": "長尾 一郎",
        "attendee_0_organisation": "市",
        "attendee_0_secrecy": "on",
    }
    page = client.get(reverse("cases:meeting_add")).content.decode()
    # Each row of the agenda picks its case as the user types.
    assert 'id="id_item_0_case"' in page
    assert 'data-picker="/cases/pick/cases/"' in page
    response = client.post(
        reverse("cases:meeting_add"), {**data, "item_0_case": "9999", "item_1_case": "山田"}
    )
    assert response.status_code == 400
    assert "9999" in response.content.decode()
    response = client.post(
        reverse("cases:meeting_add"),
        {**data, "item_0_case": f"{sequence(world_a.case)} {world_a.person.name}"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert MeetingCase.objects.filter(case=world_a.case, meeting__title="支援会議").exists()


def test_an_attendee_for_an_agency_the_consent_does_not_name_is_refused(
    client, personas, world_a, other_agency
):
    """The page's attendee who works for an agency (its name chosen from the list) is
    checked against the person's consent, as the service's callers are."""
    client.force_login(personas.manager_a)
    page = client.get(reverse("cases:meeting_add")).content.decode()
    assert f'<option value="{other_agency.name}">' in page
    assert 'list="attendee-organisations"' in page
    data = {
        "kind": "multiagency",
        "held_on": timezone.localdate().isoformat(),
        "title": "重層的支援会議",
        "item_0_case": world_a.case.number,
        "attendee_0_name": "障害 相談員",
        "attendee_0_organisation": other_agency.name,
    }
    response = client.post(reverse("cases:meeting_add"), data)
    assert response.status_code == 400
    assert other_agency.name in response.content.decode()
    assert "同意" in response.content.decode()
    # The agency the consent names attends.
    response = client.post(
        reverse("cases:meeting_add"), {**data, "attendee_0_organisation": world_a.agency.name}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
