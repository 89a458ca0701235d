"""The REST API: permission matrix with personas and another municipality's ids, token
scoping, the business rules through the API, structured errors, schema, query counts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case, Meeting, Referral
from municipalities.models import AuditEvent
from tests.factories import api_token_key

pytestmark = pytest.mark.django_db

# endpoint → the world attribute whose id the detail URL takes
DETAIL = {
    "persons": "person",
    "cases": "case",
    "consultations": "consultation",
    "consents": "consent",
    "plans": "plan",
    "meetings": "meeting",
    "referrals": "referral",
    "flags": "flag",
    "agencies": "agency",
    "providers": "provider",
    "menus": "menu",
    "assignments": "assignment",
    "places": "place",
    "platform-sessions": "session",
    "concerns": "concern",
}
PERSONAS = ["caseworker_a", "coordinator_a", "community_worker_a", "manager_a", "system_admin"]


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_anonymous_gets_structured_401_or_403():
    response = api().get("/api/cases/")
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] in ("not_authenticated", "authentication_failed")


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_detail_endpoint_with_another_municipalitys_id_is_404(
    personas, world_a, world_b, persona
):
    client = api(personas.all()[persona])
    for endpoint, attr in DETAIL.items():
        obj = getattr(world_b, attr)
        response = client.get(f"/api/{endpoint}/{obj.pk}/")
        assert response.status_code == 404, (persona, endpoint)
        assert response.json()["error"]["code"] == "not_found"
        listed = client.get(f"/api/{endpoint}/")
        assert listed.status_code == 200
        assert obj.pk not in [r["id"] for r in listed.json()["results"]], (persona, endpoint)


def test_roles_see_what_their_pages_show(personas, world_a):
    cw, coord, comm = (
        api(personas.caseworker_a),
        api(personas.coordinator_a),
        api(personas.community_worker_a),
    )
    assert cw.get(f"/api/cases/{world_a.case.pk}/").status_code == 200
    assert coord.get(f"/api/cases/{world_a.case.pk}/").status_code == 404
    assert comm.get(f"/api/persons/{world_a.person.pk}/").status_code == 404
    assert coord.get(f"/api/referrals/{world_a.referral.pk}/").status_code == 200
    assert comm.get(f"/api/referrals/{world_a.referral.pk}/").status_code == 404
    assert (
        comm.get(f"/api/concerns/{world_a.concern.pk}/").status_code == 404
    )  # reporters: status only in the UI
    assert coord.get(f"/api/menus/{world_a.menu.pk}/").json()["in_use"] == 1
    # System administrators: the roster, never a person.
    admin = api(personas.system_admin)
    assert admin.get("/api/municipalities/").json()["count"] == 2
    assert admin.get("/api/persons/").json()["count"] == 0


def test_reads_are_audited(personas, world_a):
    api(personas.caseworker_a).get(f"/api/cases/{world_a.case.pk}/")
    event = AuditEvent.objects.filter(action="view", object_type="cases.case").latest("pk")
    assert event.detail["via"] == "api"
    assert event.case_id == world_a.case.pk
    api(personas.caseworker_a).get("/api/persons/")
    assert AuditEvent.objects.filter(action="search", detail__endpoint="persons").exists()


def test_token_belongs_to_a_staff_account_and_its_municipality(personas, world_a, world_b):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_key(personas.caseworker_b)}")
    assert client.get(f"/api/cases/{world_b.case.pk}/").status_code == 200
    assert client.get(f"/api/cases/{world_a.case.pk}/").status_code == 404
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get("/api/cases/").status_code == 401


def test_token_api_is_rate_limited(personas, settings):
    from django.core.cache import cache
    from rest_framework.settings import api_settings

    cache.clear()
    original = api_settings.DEFAULT_THROTTLE_RATES
    api_settings.DEFAULT_THROTTLE_RATES = {"token": "3/minute"}
    from portal.api_hooks import TokenRateThrottle

    TokenRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_key(personas.caseworker_a)}")
        codes = [client.get("/api/municipalities/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get("/api/municipalities/").json()["error"]["code"] == "throttled"
        # Browser sessions are not throttled by this.
        session = api(personas.caseworker_a)
        assert all(session.get("/api/municipalities/").status_code == 200 for _ in range(5))
    finally:
        api_settings.DEFAULT_THROTTLE_RATES = original
        TokenRateThrottle.THROTTLE_RATES = original
        cache.clear()


def test_rules_hold_through_the_api(personas, world_a):
    client = api(personas.caseworker_a)
    # A case without consent cannot go to a 重層的支援会議.
    response = client.post(
        "/api/cases/", {"name": "API 太郎", "route": "self", "categories": ["debt"]}, format="json"
    )
    assert response.status_code == 201
    case_id = response.json()["id"]
    meeting = {
        "kind": "multiagency",
        "held_on": timezone.localdate().isoformat(),
        "attendees": [{"name": "包括 職員", "organisation": "包括"}],
        "items": [{"case": case_id}],
    }
    response = client.post("/api/meetings/", meeting, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "rule_violation"
    assert "有効な同意がありません" in body["message"]
    assert not Meeting.objects.filter(case_items__case_id=case_id).exists()
    # Status transitions.
    response = client.post(
        f"/api/cases/{case_id}/status/", {"to_status": "monitoring"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["to_status"]
    assert (
        client.post(
            f"/api/cases/{case_id}/status/", {"to_status": "assessment"}, format="json"
        ).json()["status"]
        == "assessment"
    )
    # Capacity through the API.
    coord = api(personas.coordinator_a)
    url = f"/api/assignments/{world_a.assignment.pk}/status/"
    assert coord.post(url, {"to_status": "proposed"}, format="json").status_code == 400


def test_mass_assignment_is_ignored(personas, world_b):
    client = api(personas.caseworker_a)
    response = client.post(
        "/api/cases/",
        {
            "name": "越境 花子",
            "route": "self",
            "municipality": world_b.case.municipality_id,
            "status": "closed",
            "number": "HACK-1",
        },
        format="json",
    )
    assert response.status_code == 201
    case = Case.objects.get(pk=response.json()["id"])
    assert case.municipality == personas.municipality_a
    assert case.status == "intake"
    assert case.number != "HACK-1"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"route": "self"}, "name"),
        ({"name": "x", "route": "no-such-route"}, "non_field_errors"),
        ({"name": "x", "route": "self", "opened_on": "2999-01-01"}, "opened_on"),
        ({"name": "x", "route": "self", "opened_on": "2025-02-30"}, "opened_on"),
    ],
)
def test_bad_input_is_a_structured_error_and_saves_nothing(personas, payload, field):
    before = Case.objects.count()
    response = api(personas.caseworker_a).post("/api/cases/", payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "入力内容が正しくありません。"
    assert Case.objects.count() == before


def test_referral_and_concern_writes(personas, world_a):
    client = api(personas.caseworker_a)
    response = client.post(
        "/api/referrals/",
        {"case": world_a.case.pk, "to_program": "community", "reason": "サロンを紹介したい"},
        format="json",
    )
    assert response.status_code == 201
    referral = Referral.objects.get(pk=response.json()["id"])
    assert referral.from_program == "consultation"
    response = api(personas.community_worker_a).post(
        f"/api/referrals/{referral.pk}/respond/", {"accept": True}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    response = api(personas.community_worker_a).post(
        "/api/concerns/",
        {
            "reporter_kind": "resident",
            "observation": "灯りが消えたまま",
            "urgency": "urgent",
            "status": "taken_up",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == "received"


def test_session_log_through_the_api(personas, world_a):
    response = api(personas.coordinator_a).post(
        "/api/session-logs/",
        {
            "assignment": world_a.assignment.pk,
            "held_on": timezone.localdate().isoformat(),
            "attendance": "present",
            "concerns": ["health"],
            "concern_note": "咳が続く",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["referral"]
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = api(personas.coordinator_a).post(
        "/api/session-logs/",
        {"assignment": world_a.assignment.pk, "held_on": tomorrow, "attendance": "present"},
        format="json",
    )
    assert response.status_code == 400


def test_list_endpoints_query_counts_are_constant(personas, world_a):
    client = api(personas.manager_a)
    # Measure with the current data, then add rows and measure again.
    counts = {}
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for endpoint in DETAIL:
        client.get(f"/api/{endpoint}/")  # warm the per-user membership cache
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/{endpoint}/").status_code == 200
        counts[endpoint] = len(ctx.captured_queries)
    from tests.worlds import build_world

    build_world(
        personas.municipality_a,
        personas.caseworker_a,
        personas.coordinator_a,
        personas.community_worker_a,
        name="追加 世界",
        kana="ツイカ セカイ",
    )
    for endpoint in DETAIL:
        with CaptureQueriesContext(connection) as ctx:
            client.get(f"/api/{endpoint}/")
        assert len(ctx.captured_queries) == counts[endpoint], endpoint
        assert counts[endpoint] <= 8, endpoint


def test_schema_and_docs(client, personas):
    client.force_login(personas.caseworker_a)
    schema = client.get(reverse("api-schema"))
    assert schema.status_code == 200
    assert b"/api/cases/" in schema.content
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_meeting_without_a_plan_reviews_the_decided_plan_not_the_newer_draft(personas, world_a):
    """The API picks the plan a decision applies to as the meeting page does."""
    from cases.collaboration import services as collaboration_services
    from cases.models import MeetingCase

    draft = collaboration_services.plan_create(
        user=personas.caseworker_a,
        case=world_a.case,
        goals="次の段階の目標",
        review_on=timezone.localdate() + datetime.timedelta(days=60),
        actions=[(None, "訪問の継続")],
    )
    meeting = {
        "kind": "multiagency",
        "held_on": timezone.localdate().isoformat(),
        "attendees": [{"name": "包括 職員", "organisation": "包括"}],
        "items": [
            {
                "case": world_a.case.pk,
                "decision": "reviewed",
                "next_review_on": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
            }
        ],
    }
    response = api(personas.caseworker_a).post("/api/meetings/", meeting, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["items"][0]["plan"] == world_a.plan.pk
    assert MeetingCase.objects.get(case=world_a.case, decision="reviewed").plan == world_a.plan
    draft.refresh_from_db()
    assert draft.status == "draft"
