"""Every state-changing route refuses a request without a CSRF token.

Generated from the URL configuration: every page route is posted to, every API route
gets POST, PUT, PATCH and DELETE, all from a logged-in browser session whose client
enforces CSRF checks as a browser would. Each answer must be 403 and no table may
change. A new route is covered as soon as it exists.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.apps import apps
from django.test import Client

from municipalities.models import AuditEvent
from tests.urlwalk import fill, params, walk

pytestmark = pytest.mark.django_db

# Routes that legitimately accept an unsafe method without a token, each with the
# reason. Keep this empty unless a route provably changes nothing.
ALLOWED_WITHOUT_TOKEN: dict[str, str] = {}

API_METHODS = ("post", "put", "patch", "delete")

# Which world object an API route's <pk> stands for, by router basename.
API_OBJECTS = {
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


def row_counts() -> dict[str, int]:
    """Rows of every table, except the session table, which a request may touch."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.label != "sessions.Session"
    }


def routes(skip_namespaces=frozenset({"admin"})):
    for route, pattern in walk(skip_namespaces=skip_namespaces):
        if "(?P<format>" in route or route in ALLOWED_WITHOUT_TOKEN:
            continue  # the same views with a ".json" suffix
        yield route, pattern


def api_ids(world, pattern) -> dict[str, int]:
    ids = world.ids()
    basename = (pattern.name or "").rsplit("-", 1)[0]
    attr = API_OBJECTS.get(basename)
    ids["pk"] = getattr(world, attr).pk if attr else world.member.household_id
    return ids


def csrf_client(user) -> Client:
    """A logged-in browser that holds a CSRF cookie (as after any page) but sends
    no token with its requests."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/", follow=True)  # the role's home sets the CSRF cookie
    assert "csrftoken" in client.cookies
    return client


def test_the_sweep_sees_pages_and_api_routes():
    all_routes = [route for route, _ in routes()]
    assert sum(r.startswith("api/") for r in all_routes) >= 30
    assert sum(not r.startswith("api/") for r in all_routes) >= 70


def test_no_page_or_api_route_changes_anything_without_a_csrf_token(personas, world_a, caplog):
    client = csrf_client(personas.manager_a)
    caplog.set_level(logging.WARNING)
    before = row_counts()
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    checked = 0
    for route, pattern in routes():
        is_api = route.startswith("api/")
        url = fill(route, api_ids(world_a, pattern) if is_api else world_a.ids())
        for method in API_METHODS if is_api else ("post",):
            response = (
                getattr(client, method)(
                    url, data=json.dumps({"name": "x"}), content_type="application/json"
                )
                if is_api
                else client.post(url, {"name": "x", "summary": "x"})
            )
            assert response.status_code == 403, (method, url, response.status_code)
            # Refused for want of the token, not for some other reason.
            reason = str(getattr(response, "data", "")) + caplog.text
            assert "CSRF" in reason, (method, url, reason)
            caplog.clear()
            checked += 1
    assert checked >= 200
    assert row_counts() == before
    assert AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() == last_event


def test_no_admin_route_changes_anything_without_a_csrf_token(personas, world_a):
    client = csrf_client(personas.system_admin)
    before = row_counts()
    admin_routes = [
        (route, pattern)
        for route, pattern in walk(skip_namespaces=frozenset())
        if route.startswith("admin/")
    ]
    assert len(admin_routes) >= 20
    for route, _pattern in admin_routes:
        ids = dict.fromkeys(params(route), personas.municipality_a.pk)
        ids.update(app_label="municipalities", url="municipalities/")
        response = client.post(fill(route, ids), {"name": "x", "code": "131016"})
        assert response.status_code == 403, (route, response.status_code)
    assert row_counts() == before


def test_the_same_post_with_its_token_gets_through(personas, world_a):
    """The sweep is meaningful: a form posted with its token is not refused."""
    client = csrf_client(personas.caseworker_a)
    client.get(f"/cases/{world_a.case.pk}/consultations/new/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/cases/{world_a.case.pk}/consultations/new/", {"csrfmiddlewaretoken": token}
    )
    assert response.status_code != 403
    response = client.post(
        "/api/consultations/",
        data=json.dumps({}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 400  # past the CSRF check, refused as invalid input


def test_an_api_token_client_needs_no_csrf_token(personas, world_a):
    """Programs authenticate with a token, not a cookie, so CSRF does not apply."""
    from tests.factories import api_token_key

    key = api_token_key(personas.caseworker_a)
    response = Client(enforce_csrf_checks=True).post(
        "/api/consultations/",
        data=json.dumps({}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 400
