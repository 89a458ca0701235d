"""When the portal itself fails: a Japanese page (JSON under /api/) for a server error
and for maintenance, and no cache keeps a response that carries personal data."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from cases.consultation import queries as consultation_queries
from cases.core.api import CaseViewSet

pytestmark = pytest.mark.django_db

SERVER_ERROR = "処理を完了できませんでした"
MAINTENANCE = "ただいまメンテナンス中です"


def database_down(*args, **kwargs):
    raise OperationalError("could not connect to server: Connection refused")


def test_a_database_outage_shows_a_japanese_page_without_details(personas, monkeypatch):
    monkeypatch.setattr(consultation_queries, "dashboard", database_down)
    client = Client(raise_request_exception=False)
    client.force_login(personas.caseworker_a)
    response = client.get(reverse("cases:dashboard"))
    assert response.status_code == 500
    html = response.content.decode()
    assert SERVER_ERROR in html
    assert "Connection refused" not in html
    assert "Server Error (500)" not in html


def test_a_database_outage_under_the_api_is_a_json_error(personas, monkeypatch):
    monkeypatch.setattr(CaseViewSet, "scoped", database_down)
    client = Client(raise_request_exception=False)
    client.force_login(personas.caseworker_a)
    response = client.get("/api/cases/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "server_error"
    assert not error["message"].isascii()


def test_maintenance_answers_503_to_pages_and_api_but_not_the_health_check(
    client, personas, settings, tmp_path
):
    flag = tmp_path / "maintenance"
    settings.MAINTENANCE_FILE = str(flag)
    client.force_login(personas.caseworker_a)
    assert client.get(reverse("cases:dashboard")).status_code == 200
    flag.touch()
    response = client.get(reverse("cases:dashboard"))
    assert response.status_code == 503
    assert response["Retry-After"] == "300"
    assert MAINTENANCE in response.content.decode()
    response = client.get("/api/cases/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "maintenance"
    assert client.get("/healthz/").status_code == 200
    flag.unlink()
    assert client.get(reverse("cases:dashboard")).status_code == 200


@pytest.mark.parametrize(
    ("user", "url"),
    [
        ("caseworker_a", "case"),
        ("caseworker_a", "/cases/persons/?q=やまだ"),
        ("caseworker_a", "/api/persons/"),
        ("manager_a", "/cases/statistics/?export=csv"),
        ("manager_a", "/audit/?export=csv"),
        ("coordinator_a", "/participation/"),
    ],
)
def test_responses_with_personal_data_are_not_stored_by_any_cache(
    client, personas, world_a, user, url
):
    if url == "case":
        url = reverse("cases:case_detail", args=[world_a.case.pk])
    client.force_login(getattr(personas, user))
    response = client.get(url)
    assert response.status_code == 200, url
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_api_is_not_stored_even_when_refused(client):
    response = client.get("/api/cases/")
    assert response.status_code in (401, 403)
    assert "no-store" in response["Cache-Control"]
