"""Role checks live in the services, the same way in every app: a write by the wrong role
is refused with one error (``RoleRequired``, one Japanese message) whether it comes from a
page, the API or other code, and nothing is saved. Pages gate on the same roles first."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.collaboration import services as collaboration_services
from cases.consultation import services as consultation_services
from cases.core import services as core_services
from cases.engine import services as engine_services
from cases.models import Case, CaseEvent, ConsultationMethod, ContactRoute, Meeting, SupportAgency
from cases.registry import get_rule
from community import services as community_services
from community.models import Concern, Place
from participation import services as participation_services
from participation.models import Provider, SessionLog
from portal.errors import RoleRequired
from tests.worlds import master

pytestmark = pytest.mark.django_db

REFUSED = "この操作を行う権限がありません。"


def writes(personas, world):
    """(app, who is refused, the write) — one or more per app and role group."""
    today = timezone.localdate()
    return [
        (
            "cases",
            personas.coordinator_a,
            lambda user: consultation_services.consultation_log(
                user=user,
                case=world.case,
                data=consultation_services.ConsultationData(
                    occurred_at=timezone.now(),
                    method=master(ConsultationMethod, "phone"),
                    summary="電話",
                ),
            ),
        ),
        (
            "cases",
            personas.community_worker_a,
            lambda user: core_services.case_change_status(
                user=user, case=world.case, to_status="assessment"
            ),
        ),
        (
            "cases",
            personas.coordinator_a,
            lambda user: core_services.case_open(
                user=user, person=world.person, route=master(ContactRoute, "self")
            ),
        ),
        (
            "cases",
            personas.community_worker_a,
            lambda user: collaboration_services.agency_create(
                user=user, municipality=personas.municipality_a, name="新しい機関", field="other"
            ),
        ),
        (
            "cases",
            personas.caseworker_a,
            lambda user: core_services.master_data_add(
                user=user,
                municipality=personas.municipality_a,
                kind="route",
                code="new_route",
                name="新しい経路",
            ),
        ),
        (
            "cases",
            personas.caseworker_a,
            lambda user: engine_services.rule_setting_save(
                user=user,
                municipality=personas.municipality_a,
                rule=get_rule("out_of_touch"),
                enabled=False,
                params={},
            ),
        ),
        (
            "participation",
            personas.caseworker_a,
            lambda user: participation_services.session_log(
                user=user, assignment=world.assignment, held_on=today, attendance="present"
            ),
        ),
        (
            "participation",
            personas.community_worker_a,
            lambda user: participation_services.provider_save(
                user=user, municipality=personas.municipality_a, name="新しい事業所", kind="company"
            ),
        ),
        (
            "community",
            personas.caseworker_a,
            lambda user: community_services.place_save(
                user=user,
                municipality=personas.municipality_a,
                name="新しい居場所",
                kind="salon",
                organiser="自治会",
                organiser_kind="residents",
            ),
        ),
        (
            "community",
            personas.community_worker_a,
            lambda user: community_services.concern_close(
                user=user, concern=world.concern, note="対応不要"
            ),
        ),
    ]


def counts():
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        Meeting.objects.count(),
        SupportAgency.objects.count(),
        SessionLog.objects.count(),
        Provider.objects.count(),
        Place.objects.count(),
        Concern.objects.filter(status="received").count(),
    )


def test_every_app_refuses_the_wrong_role_with_the_same_error(personas, world_a):
    before = counts()
    apps = set()
    for app, user, write in writes(personas, world_a):
        with pytest.raises(RoleRequired) as raised:
            write(user)
        assert raised.value.message == REFUSED, app
        apps.add(app)
    # A system administrator holds no role in any municipality.
    for _app, _user, write in writes(personas, world_a):
        with pytest.raises(RoleRequired):
            write(personas.system_admin)
    assert apps == {"cases", "participation", "community"}
    assert counts() == before


def test_the_api_answers_a_wrong_role_alike_in_every_app(personas, world_a):
    """A caseworker changing an assignment and a coordinator recording a concern: the
    services refuse both with the same structured error."""
    caseworker, coordinator = APIClient(), APIClient()
    caseworker.force_authenticate(personas.caseworker_a)
    coordinator.force_authenticate(personas.coordinator_a)
    responses = [
        caseworker.post(
            f"/api/assignments/{world_a.assignment.pk}/status/",
            {"to_status": "paused", "on": timezone.localdate().isoformat()},
            format="json",
        ),
        coordinator.post(
            "/api/concerns/",
            {"reporter_kind": "resident", "observation": "灯りが消えたまま", "urgency": "soon"},
            format="json",
        ),
    ]
    for response in responses:
        assert response.status_code == 400, response.content
        assert response.json()["error"] == {
            "code": "rule_violation",
            "message": REFUSED,
            "fields": {},
        }
    world_a.assignment.refresh_from_db()
    assert world_a.assignment.status == "active"
    assert Concern.objects.count() == 1


def test_the_right_roles_still_write(personas, world_a):
    """The same writes by the roles the pages let in."""
    consultation_services.consultation_log(
        user=personas.manager_a,
        case=world_a.case,
        data=consultation_services.ConsultationData(
            occurred_at=timezone.now() - datetime.timedelta(minutes=1),
            method=master(ConsultationMethod, "phone"),
            summary="電話",
        ),
    )
    participation_services.session_log(
        user=personas.manager_a,
        assignment=world_a.assignment,
        held_on=timezone.localdate(),
        attendance="present",
    )
    community_services.concern_close(
        user=personas.caseworker_a, concern=world_a.concern, note="家族が対応済み"
    )
    core_services.master_data_add(
        user=personas.manager_a,
        municipality=personas.municipality_a,
        kind="route",
        code="new_route",
        name="新しい経路",
    )
