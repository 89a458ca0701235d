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
