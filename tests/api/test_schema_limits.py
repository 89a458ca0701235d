"""The OpenAPI schema declares the limits the API enforces, and the API enforces what
the schema declares: page and page size, text without control characters, dates
within 1900–2100, and no filter given without a value."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client, personas):
    client.force_login(personas.caseworker_a)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    import json

    return json.loads(response.content)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_schema_declares_page_and_page_size_limits(schema):
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/cases/"]["get"]["parameters"]
    }
    assert parameters["page_size"]["minimum"] == 1
    assert parameters["page_size"]["maximum"] == 500
    assert parameters["page"]["minimum"] == 1


def test_the_schema_declares_text_and_date_limits(schema):
    concern = schema["components"]["schemas"]["ConcernRequest"]["properties"]["observation"]
    pattern = re.compile(concern["pattern"])
    assert pattern.match("新聞がたまっている\n二日前から")
    assert not pattern.match("制御文字\x00")
    assert not pattern.match("制御文字\x1b[31m")
    birth_date = schema["components"]["schemas"]["PatchedPersonUpdateInputRequest"]["properties"][
        "birth_date"
    ]
    assert "1900-01-01" in birth_date["description"]
    assert "2100-12-31" in birth_date["description"]


@pytest.mark.parametrize("page_size", ["0", "501", "-1", "abc"])
def test_a_page_size_outside_the_declared_range_is_refused(personas, world_a, page_size):
    response = api(personas.caseworker_a).get("/api/cases/", {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]


def test_the_largest_declared_page_size_is_served(personas, world_a):
    response = api(personas.caseworker_a).get("/api/cases/", {"page_size": "500"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url", ["/api/cases/?status=", "/api/cases/?status=%20", "/api/referrals/?to_program="]
)
def test_a_filter_without_a_value_is_refused_not_ignored(personas, world_a, url):
    response = api(personas.caseworker_a).get(url)
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error["fields"]) <= {"status", "to_program"}
    assert error["fields"]
    assert not next(iter(error["fields"].values()))[0].isascii()


def test_a_filter_with_a_value_still_filters(personas, world_a):
    response = api(personas.caseworker_a).get("/api/cases/", {"status": "closed"})
    assert response.status_code == 200
    assert response.json()["results"] == []
