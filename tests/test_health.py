"""Liveness and readiness for the operator's load balancer and monitoring."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from portal import views

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_checks():
    views._cached.clear()
    yield
    views._cached.clear()


def test_liveness_needs_nothing_but_the_process(client, monkeypatch):
    def broken(*args, **kwargs):
        raise AssertionError("liveness must not touch the database")

    monkeypatch.setattr(views.connection, "cursor", broken)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_readiness_without_a_broker_checks_the_database_and_migrations(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["database"] == "ok"
    assert body["migrations"] == "ok"
    assert body["broker"] == "in-process"


def test_readiness_is_503_with_the_broker_down_and_200_when_it_is_back(
    client, settings, monkeypatch
):
    """The broker is unreachable (a port where nothing listens), then reachable again
    (the reachable one is simulated: the connection succeeds)."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6390/0"
    monkeypatch.setattr(views, "_beat_age", lambda: None)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["broker"] == "error"
    assert response.json()["status"] == "not ready"

    monkeypatch.setattr(views, "_broker_reachable", lambda: None)
    monkeypatch.setattr(views, "_workers_answering", lambda: 1)
    monkeypatch.setattr(views, "_beat_age", lambda: 30.0)
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["broker"] == "ok"
    assert body["workers"] == 1
    assert body["beat_seconds_ago"] == 30
    assert body["degraded"] is False


def test_no_worker_or_a_stale_beat_is_reported_but_keeps_the_node_in_service(
    client, settings, monkeypatch
):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6390/0"
    monkeypatch.setattr(views, "_broker_reachable", lambda: None)
    monkeypatch.setattr(views, "_workers_answering", lambda: 0)
    monkeypatch.setattr(views, "_beat_age", lambda: None)
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json()["degraded"] is True


def test_pending_migrations_make_the_node_not_ready(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""
    monkeypatch.setattr(views, "_pending_migrations", lambda: 2)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["migrations"] == "2 pending"


def test_a_database_outage_makes_the_node_not_ready_and_shows_no_details(
    client, settings, monkeypatch
):
    from django.db import OperationalError

    settings.CELERY_BROKER_URL = ""

    def down(*args, **kwargs):
        raise OperationalError("password authentication failed for user postgres")

    monkeypatch.setattr(views.connection, "cursor", down)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["database"] == "error"
    assert "password" not in response.content.decode()


def test_readiness_answers_the_worker_and_beat_from_its_short_cache(client, settings, monkeypatch):
    calls = []
    monkeypatch.setattr(views, "_pending_migrations", lambda: calls.append(1) or 0)
    settings.CELERY_BROKER_URL = ""
    client.get(reverse("readyz"))
    client.get(reverse("readyz"))
    assert len(calls) == 1
    views._cached["migrations"] = (time.monotonic() - 60, 0)
    client.get(reverse("readyz"))
    assert len(calls) == 2


def test_beats_heartbeat_is_read_back_from_redis(settings):
    import os

    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.skip("CELERY_BROKER_URL not set to Redis")
    from portal.tasks import beat_heartbeat, beat_last_seen

    settings.CELERY_BROKER_URL = url
    beat_heartbeat()
    seen = beat_last_seen()
    assert seen is not None
    assert abs(time.time() - seen) < 5
