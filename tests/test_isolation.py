"""Every URL of the portal with another municipality's ids answers 404, for every
persona, on GET and POST. Generated from the URL configuration, so a new route is
covered as soon as it exists (its id parameter must be known to ``ids``)."""

from __future__ import annotations

import pytest

from cases.consultation import services as consultation_services
from tests.urlwalk import fill, walk

pytestmark = pytest.mark.django_db


def object_routes():
    routes = []
    for route, pattern in walk():
        names = list(pattern.pattern.converters) if hasattr(pattern.pattern, "converters") else []
        if names:
            routes.append((route, names))
    return routes


def test_there_are_object_routes_to_check():
    assert len(object_routes()) >= 15


@pytest.mark.parametrize(
    "persona", ["caseworker_a", "coordinator_a", "community_worker_a", "manager_a", "system_admin"]
)
def test_every_object_url_with_another_municipalitys_ids_is_404(
    client, personas, world_a, world_b, persona
):
    client.force_login(personas.all()[persona])
    ids = world_b.ids()
    checked = 0
    for route, _names in object_routes():
        url = fill(route, ids)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404, (
                persona,
                method.__name__,
                url,
                response.status_code,
            )
            checked += 1
    assert checked >= 30


def test_the_same_urls_work_for_their_own_manager(client, personas, world_a):
    """The walk above is meaningful: with their own ids the pages answer."""
    client.force_login(personas.manager_a)
    ids = world_a.ids()
    for route, _names in object_routes():
        url = fill(route, ids)
        response = client.get(url)
        assert response.status_code in (200, 405), (url, response.status_code)


def test_caseworker_b_cannot_see_a_through_search(client, personas, world_a, world_b):
    client.force_login(personas.caseworker_b)
    html = client.get("/cases/persons/", {"q": "やまだ"}).content.decode()
    assert "山田 花子" not in html
    assert "ヤマダ ハナコ" not in html
    html = client.get("/cases/persons/", {"q": "まつえ"}).content.decode()
    assert "松江 梅子" in html


def test_services_refuse_staff_of_another_municipality(personas, world_a, world_b):
    """The last line behind the scoped reads: a service called with a foreign record
    rolls back instead of writing."""
    from django.core.exceptions import PermissionDenied

    from cases.models import Consultation, ConsultationMethod
    from participation import services as participation_services
    from participation.models import SessionLog
    from tests.worlds import master

    with pytest.raises(PermissionDenied):
        participation_services.session_log(
            user=personas.coordinator_a,
            assignment=world_b.assignment,
            held_on=world_b.assignment.start_on,
            attendance="present",
        )
    assert not SessionLog.objects.exists()
    before = Consultation.objects.count()
    with pytest.raises(PermissionDenied):
        consultation_services.consultation_log(
            user=personas.caseworker_a,
            case=world_b.case,
            data=consultation_services.ConsultationData(
                occurred_at=world_b.consultation.occurred_at,
                method=master(ConsultationMethod, "phone"),
                summary="越境",
            ),
        )
    assert Consultation.objects.count() == before


# Ids of records about a person: inside the municipality, need to know applies to them.
PERSONAL_IDS = frozenset(
    {
        "person_id",
        "case_id",
        "consultation_id",
        "consent_id",
        "plan_id",
        "evaluation_id",
        "meeting_id",
        "referral_id",
        "member_id",
        "assignment_id",
        "follow_up_id",
        "link_id",
        "flag_id",
        "look_id",
    }
)


def test_every_personal_url_is_404_for_another_agency_of_the_same_municipality(
    client, personas, world_a, other_agency
):
    """The second dimension: staff of another agency in the same municipality get the
    same 404 for every record about a person their agency is not on."""
    client.force_login(personas.other_agency_a)
    ids = world_a.ids()
    checked = 0
    for route, names in object_routes():
        if not PERSONAL_IDS.intersection(names):
            continue
        url = fill(route, ids)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404, (method.__name__, url, response.status_code)
            checked += 1
    assert checked >= 30


def test_once_the_agency_is_on_the_case_its_staff_see_it(client, personas, world_a, other_agency):
    """The walk above is meaningful: the same URLs open once the person's consent names
    the agency and it is added to the case."""
    from cases.core import case_agency_add, consent_record
    from cases.models import Consent

    consent_record(
        user=personas.caseworker_a,
        person=world_a.person,
        case=world_a.case,
        agencies=[other_agency],
        purpose="障害福祉サービスの相談のため",
        scope="氏名・連絡先・相談内容",
        method=Consent.Method.SIGNATURE,
        given_on=world_a.consent.given_on,
    )
    case_agency_add(user=personas.caseworker_a, case=world_a.case, agency=other_agency)
    client.force_login(personas.other_agency_a)
    for url in (
        f"/cases/{world_a.case.pk}/",
        f"/cases/persons/{world_a.person.pk}/",
        f"/cases/consultations/{world_a.consultation.pk}/edit/",
        f"/cases/plans/{world_a.plan.pk}/",
        f"/cases/meetings/{world_a.meeting.pk}/",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["manager_a", "multiagency_a"])
def test_the_office_sees_every_case_of_the_municipality(client, personas, world_a, persona):
    client.force_login(personas.all()[persona])
    assert client.get(f"/cases/{world_a.case.pk}/").status_code == 200
    assert client.get(f"/cases/persons/{world_a.person.pk}/").status_code == 200


def test_a_refused_look_inside_the_municipality_is_audited(client, personas, world_a, other_agency):
    """Another agency's 404 is the same as a missing record's, and the managers find the
    attempt in the audit log; another municipality's ids leave nothing there."""
    from rest_framework.test import APIClient

    from municipalities.models import AuditEvent

    client.force_login(personas.other_agency_a)
    refused = AuditEvent.objects.filter(action=AuditEvent.Action.REFUSED)
    assert client.get(f"/cases/{world_a.case.pk}/").status_code == 404
    event = refused.get()
    assert (event.user, event.case_id, event.person_id) == (
        personas.other_agency_a,
        world_a.case.pk,
        world_a.person.pk,
    )
    api = APIClient()
    api.force_authenticate(personas.other_agency_a)
    assert api.get(f"/api/persons/{world_a.person.pk}/").status_code == 404
    assert refused.filter(person_id=world_a.person.pk, object_type__icontains="person").exists()
    before = refused.count()
    assert client.get("/cases/999999/").status_code == 404
    client.force_login(personas.caseworker_b)
    assert client.get(f"/cases/{world_a.case.pk}/").status_code == 404
    assert refused.count() == before
