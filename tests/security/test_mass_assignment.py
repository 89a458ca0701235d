"""Mass assignment through the API: a client cannot set the fields it may not.

Every write route of the API router is tried with a valid body plus fields a client
must never control (municipality, id, creator and timestamps, status, case number,
withdrawn/deleted markers, version, another municipality's records). Each is either
ignored (the record lands in the caller's municipality with server-chosen values) or
refused with a structured 400/404 that saves nothing. A new write route fails
``test_every_api_write_route_is_covered`` until it is added here.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.apps import apps
from django.utils import timezone

from municipalities.models import AuditEvent
from portal.api_urls import router

pytestmark = pytest.mark.django_db

LONG_AGO = "2001-02-03T04:05:06+09:00"


def hostile(personas, world_b) -> dict:
    """Fields no client may set, with values that would be visible if taken."""
    return {
        "id": 987654,
        "pk": 987654,
        "municipality": personas.municipality_b.pk,
        "municipality_id": personas.municipality_b.pk,
        "created_by": personas.caseworker_b.pk,
        "reported_by": personas.caseworker_b.pk,
        "staff": personas.caseworker_b.pk,
        "coordinator": personas.caseworker_b.pk,
        "assigned_to": personas.caseworker_b.pk,
        "handled_by": personas.caseworker_b.pk,
        "created_at": LONG_AGO,
        "updated_at": LONG_AGO,
        "raised_at": LONG_AGO,
        "responded_at": LONG_AGO,
        "deleted_at": LONG_AGO,
        "withdrawn_on": "2001-02-03",
        "closed_on": "2001-02-03",
        "number": "HACK-1",
        "case_number": "HACK-1",
        "version": 99,
        "is_sensitive": True,
        "person": world_b.person.pk,
        "household": world_b.member.household_id,
        "referral": world_b.referral.pk,
        "from_program": "community",
        "audit": {"action": "delete"},
        "hash": "0" * 64,
    }


def write_routes() -> list[tuple[str, str]]:
    """(basename, action) of every route that accepts POST, PUT, PATCH or DELETE."""
    found = []
    for prefix, viewset, _basename in router.registry:
        for name in ("create", "update", "partial_update", "destroy"):
            if hasattr(viewset, name):
                found.append((prefix, name))
        for extra in viewset.get_extra_actions():
            if set(extra.mapping) & {"post", "put", "patch", "delete"}:
                found.append((prefix, extra.url_path))
    return sorted(found)


def post(client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def snapshot() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()}


def now_iso() -> str:
    return timezone.localtime().replace(microsecond=0).isoformat()


def cases(personas, world_a, world_b):
    """basename, action -> (persona, url, valid body, model, check of the result)."""
    today = timezone.localdate().isoformat()
    return {
        ("cases", "create"): (
            "caseworker_a",
            "/api/cases/",
            {"name": "山田 一郎", "name_kana": "ヤマダ イチロウ", "route": "self"},
            "cases.Case",
        ),
        ("cases", "status"): (
            "caseworker_a",
            f"/api/cases/{world_a.case.pk}/status/",
            {"to_status": "support"},
            None,
        ),
        ("cases", "partial_update"): (
            "caseworker_a",
            f"/api/cases/{world_a.case.pk}/",
            {"route": "outreach"},
            None,
        ),
        ("persons", "partial_update"): (
            "caseworker_a",
            f"/api/persons/{world_a.person.pk}/",
            {"address": "豊中市本町1-1"},
            None,
        ),
        ("consultations", "create"): (
            "caseworker_a",
            "/api/consultations/",
            {
                "case": world_a.case.pk,
                "occurred_at": now_iso(),
                "method": "phone",
                "summary": "電話で相談",
            },
            "cases.Consultation",
        ),
        ("meetings", "create"): (
            "caseworker_a",
            "/api/meetings/",
            {
                "kind": "support",
                "held_on": today,
                "title": "支援会議",
                "attendees": [{"name": "田中", "secrecy_acknowledged": True}],
                "items": [{"case": world_a.case.pk}],
            },
            "cases.Meeting",
        ),
        ("referrals", "create"): (
            "caseworker_a",
            "/api/referrals/",
            {"case": world_a.case.pk, "to_program": "community", "reason": "居場所"},
            "cases.Referral",
        ),
        ("referrals", "respond"): (
            "coordinator_a",
            f"/api/referrals/{world_a.referral.pk}/respond/",
            {"accept": True},
            None,
        ),
        ("plans", "create"): (
            "caseworker_a",
            "/api/plans/",
            {
                "case": world_a.case.pk,
                "goals": "目標",
                "review_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
                "actions": [{"action": "訪問"}],
            },
            "cases.SupportPlan",
        ),
        # Proposing a menu: world_a's son is referred, accepted and has a decided plan
        # applying for 参加支援 (see tests/worlds.py).
        ("assignments", "create"): (
            "coordinator_a",
            "/api/assignments/",
            {"referral": world_a.assignment.referral_id, "menu": world_a.menu.pk},
            "participation.Assignment",
        ),
        ("assignments", "status"): (
            "coordinator_a",
            f"/api/assignments/{world_a.assignment.pk}/status/",
            {"to_status": "paused", "reason": "体調"},
            None,
        ),
        ("session-logs", "create"): (
            "coordinator_a",
            "/api/session-logs/",
            {"assignment": world_a.assignment.pk, "held_on": today, "attendance": "present"},
            "participation.SessionLog",
        ),
        ("concerns", "create"): (
            "community_worker_a",
            "/api/concerns/",
            {"reporter_kind": "minsei", "observation": "新聞がたまっている", "urgency": "normal"},
            "community.Concern",
        ),
    }


def test_every_api_write_route_is_covered(personas, world_a, world_b):
    assert write_routes() == sorted(cases(personas, world_a, world_b))


def test_no_api_route_updates_or_deletes_through_put_patch_or_delete(client, personas, world_a):
    """Records change only through named actions, never by overwriting fields."""
    client.force_login(personas.manager_a)
    before = snapshot()
    for prefix, viewset, _basename in router.registry:
        for method in ("put", "patch", "delete"):
            if method == "patch" and hasattr(viewset, "partial_update"):
                continue  # a field-by-field edit: test_updating_ignores_forbidden_fields
            response = getattr(client, method)(
                f"/api/{prefix}/1/",
                data=json.dumps({"municipality": personas.municipality_b.pk}),
                content_type="application/json",
            )
            assert response.status_code in (404, 405), (method, prefix, response.status_code)
            assert "error" in response.json()
    assert snapshot() == before


def created(model_label: str, response):
    model = apps.get_model(model_label)
    return model._base_manager.get(pk=response.json()["id"])


@pytest.mark.parametrize(
    "route",
    ["cases", "consultations", "meetings", "referrals", "plans", "session-logs", "concerns"],
)
def test_creating_with_forbidden_fields_ignores_them(client, personas, world_a, world_b, route):
    persona, url, body, model_label = cases(personas, world_a, world_b)[(route, "create")]
    user = personas.all()[persona]
    client.force_login(user)
    forbidden = hostile(personas, world_b)
    if route == "cases":
        del forbidden["person"]  # an input of its own: see the foreign-record test below
    response = post(client, url, {**forbidden, **body})
    assert response.status_code == 201, response.json()
    obj = created(model_label, response)
    assert obj.pk != 987654
    assert obj.municipality_id == personas.municipality_a.pk
    now = timezone.now()
    for name, value in forbidden.items():
        if name in body:
            continue
        field = next((f for f in obj._meta.concrete_fields if name in (f.name, f.attname)), None)
        if field is None or field.primary_key:
            continue
        actual = getattr(obj, field.attname)
        assert actual != value, (route, name, actual)
        if isinstance(actual, datetime.datetime):
            assert abs(actual - now) < datetime.timedelta(minutes=5), (route, name, actual)
        if isinstance(actual, datetime.date) and not isinstance(actual, datetime.datetime):
            assert actual.year != 2001, (route, name, actual)
    if hasattr(obj, "created_by_id"):
        assert obj.created_by_id == user.pk
    if hasattr(obj, "reported_by_id"):
        assert obj.reported_by_id == user.pk
    if model_label == "cases.Case":
        assert obj.status == "intake"
        assert obj.number != "HACK-1"
        assert not obj.is_sensitive
        assert obj.person.municipality_id == personas.municipality_a.pk
    if model_label == "community.Concern":
        assert obj.status == obj._meta.get_field("status").default
        assert obj.case_id is None
    # The audit trail names the caller, in the caller's municipality.
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).order_by("-pk").first()
    assert event.user_id == user.pk
    assert event.municipality_id == personas.municipality_a.pk


@pytest.mark.parametrize(
    ("route", "action"),
    [("cases", "status"), ("referrals", "respond"), ("assignments", "status")],
)
def test_status_actions_ignore_forbidden_fields(client, personas, world_a, world_b, route, action):
    persona, url, body, _ = cases(personas, world_a, world_b)[(route, action)]
    client.force_login(personas.all()[persona])
    response = post(client, url, {**hostile(personas, world_b), **body})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["id"] != 987654
    model = {"cases": "cases.Case", "referrals": "cases.Referral"}.get(route)
    obj = apps.get_model(model or "participation.Assignment").objects.get(pk=data["id"])
    assert obj.municipality_id == personas.municipality_a.pk
    for name in ("number", "created_by_id", "coordinator_id", "assigned_to_id", "is_sensitive"):
        if hasattr(obj, name):
            value = getattr(obj, name)
            assert value != "HACK-1", name
            assert value is not True, name
            assert not (name.endswith("_id") and value == personas.caseworker_b.pk), name


def test_status_cannot_jump_outside_the_allowed_transitions(client, personas, world_a, world_b):
    client.force_login(personas.caseworker_a)
    world_a.case.refresh_from_db()
    before = world_a.case.status
    assert before == "planning"
    response = post(client, f"/api/cases/{world_a.case.pk}/status/", {"to_status": "monitoring"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "rule_violation"
    world_a.case.refresh_from_db()
    assert world_a.case.status == before
    response = post(client, f"/api/cases/{world_a.case.pk}/status/", {"to_status": "hacked"})
    assert response.status_code == 400
    assert "to_status" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("route", "foreign"),
    [
        ("cases", {"person": "person"}),
        ("consultations", {"case": "case"}),
        ("meetings", {"items": "case"}),
        ("meetings", {"items": "plan"}),
        ("referrals", {"case": "case"}),
        ("referrals", {"to_agency": "agency"}),
        ("session-logs", {"assignment": "assignment"}),
    ],
)
def test_another_municipalitys_records_cannot_be_referenced(
    client, personas, world_a, world_b, route, foreign
):
    persona, url, body, _ = cases(personas, world_a, world_b)[(route, "create")]
    client.force_login(personas.all()[persona])
    ((field, attr),) = foreign.items()
    body = dict(body)
    if field == "items":
        item = {"case": world_a.case.pk}
        item[attr] = getattr(world_b, attr).pk
        body["items"] = [item]
    else:
        body[field] = getattr(world_b, attr).pk
    before = snapshot()
    response = post(client, url, body)
    assert response.status_code == 404, response.json()
    assert response.json()["error"]["code"] == "not_found"
    assert snapshot() == before


@pytest.mark.parametrize("route", ["cases", "persons"])
def test_updating_ignores_forbidden_fields(client, personas, world_a, world_b, route):
    """PATCH changes the editable fields only: tenant, number, status, creator stay."""
    persona, url, body, _ = cases(personas, world_a, world_b)[(route, "partial_update")]
    client.force_login(personas.all()[persona])
    model = apps.get_model("cases.Case" if route == "cases" else "cases.Person")
    obj = model._base_manager.get(pk=url.rstrip("/").rsplit("/", 1)[1])
    before = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
    forbidden = hostile(personas, world_b)
    for editable in ("version", "assigned_to", "is_sensitive"):
        del forbidden[editable]  # real inputs of a case edit, tried below
    response = client.patch(
        url,
        data=json.dumps({**forbidden, **body, "version": obj.version}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    obj.refresh_from_db()
    after = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
    changed = {name for name in after if after[name] != before[name]}
    ((field, _value),) = body.items()
    assert changed & {field, f"{field}_id"}, changed  # the edit itself landed
    assert changed <= {field, f"{field}_id", "version", "updated_at"}, changed
    assert obj.version == before["version"] + 1
    assert obj.municipality_id == personas.municipality_a.pk


def test_a_case_cannot_be_assigned_to_another_municipalitys_staff(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    world_a.case.refresh_from_db()
    before = snapshot()
    response = client.patch(
        f"/api/cases/{world_a.case.pk}/",
        data=json.dumps({"version": world_a.case.version, "assigned_to": personas.caseworker_b.pk}),
        content_type="application/json",
    )
    assert response.status_code in (400, 404), response.json()
    assert "error" in response.json()
    unchanged = type(world_a.case)._base_manager.get(pk=world_a.case.pk)
    assert unchanged.assigned_to_id != personas.caseworker_b.pk
    assert unchanged.version == world_a.case.version
    assert snapshot() == before
