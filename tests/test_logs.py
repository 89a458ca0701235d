"""Operational logs: one JSON line per request and per task run, tied by a request id,
with ids only: no name, kana, address, search text or username."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import logging.config
import os
import re
import time

import pytest
from django.urls import reverse

from cases.engine.tasks import evaluate_case
from cases.models import Person
from portal import logs
from portal.settings.base import logging_settings

ADDRESS = "大阪府豊中市中桜塚三丁目1番1号"


@contextlib.contextmanager
def captured_json_log():
    """The root logger writes through the production handler setup (JSON formatter and
    the context filter) into a buffer; yields a function that reads the lines."""
    config = logging_settings("json", "DEBUG")
    configurator = logging.config.DictConfigurator({})
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(configurator.configure_formatter(config["formatters"]["json"]))
    handler.addFilter(configurator.configure_filter(config["filters"]["context"]))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.fixture
def json_log():
    with captured_json_log() as lines:
        yield lines


def test_the_proxys_request_id_is_kept_and_returned(client):
    response = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="edge-0a1b2c3d.42")
    assert response["X-Request-ID"] == "edge-0a1b2c3d.42"


@pytest.mark.parametrize("supplied", [None, "", "a" * 65, "山田", "id with spaces", "x\r\ny"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_new_one(client, supplied):
    headers = {} if supplied is None else {"HTTP_X_REQUEST_ID": supplied}
    response = client.get(reverse("healthz"), **headers)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
def test_request_and_task_lines_carry_ids_and_no_personal_data(client, personas, world_a, json_log):
    Person.objects.filter(pk=world_a.person.pk).update(address=ADDRESS)
    client.force_login(personas.caseworker_a)
    response = client.get(
        reverse("cases:person_detail", args=[world_a.person.pk]), HTTP_X_REQUEST_ID="req-person"
    )
    assert response.status_code == 200
    assert "山田" in response.content.decode()  # the page shows the person; the log must not
    client.get(reverse("cases:person_search"), {"q": "ヤマダ ハナコ"})
    # Django logs a 404 with its request, whose text holds the query string.
    client.get("/cases/no-such-page/", {"q": "山田 花子"}, HTTP_X_REQUEST_ID="req-404")
    # A task run in-process while a request is served (through a broker: the last test).
    token = logs.request_id.set("req-task")
    try:
        evaluate_case.apply(args=[world_a.case.pk])
    finally:
        logs.request_id.reset(token)

    lines = json_log()
    [person_line] = [line for line in lines if line.get("request_id") == "req-person"]
    assert person_line["event"] == "request"
    assert person_line["view"] == "cases:person_detail"
    assert person_line["method"] == "GET"
    assert person_line["status"] == 200
    assert person_line["duration_ms"] >= 0
    assert person_line["user_id"] == personas.caseworker_a.pk
    assert person_line["municipality_id"] == personas.municipality_a.pk
    assert person_line["level"] == "INFO"
    assert person_line["logger"] == "portal.request"
    [task_line] = [line for line in lines if line.get("event") == "task"]
    assert task_line["task"] == "cases.evaluate_case"
    assert task_line["state"] == "succeeded"
    assert task_line["request_id"] == "req-task"
    assert task_line["task_id"]

    [not_found] = [line for line in lines if line["logger"] == "django.request"]
    assert not_found["request_id"] == "req-404"
    assert not_found["status_code"] == 404

    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert "cases:person_search" in text
    assert "unmatched" in text
    assert "q=" not in text
    assert "%E5" not in text
    for personal in ("山田", "花子", "ヤマダ", "ハナコ", "中桜塚", "090-0000-0001"):
        assert personal not in text
    assert personas.caseworker_a.username not in text
    assert str(world_a.person.pk) not in {str(line.get("view")) for line in lines}


def test_a_failed_task_is_logged_as_failed_with_its_request_id(personas, json_log, monkeypatch):
    from cases.engine import tasks

    def broken(*args, **kwargs):
        raise RuntimeError("scan broke")

    monkeypatch.setattr(tasks.flags, "evaluate", broken)
    token = logs.request_id.set("req-fail")
    try:
        with pytest.raises(RuntimeError):
            tasks.scan_municipality.apply(args=[personas.municipality_a.pk], throw=True)
    finally:
        logs.request_id.reset(token)
    [task_line] = [line for line in json_log() if line.get("event") == "task"]
    assert task_line["task"] == "cases.scan_municipality"
    assert task_line["state"] == "failed"
    assert task_line["level"] == "ERROR"
    assert task_line["request_id"] == "req-fail"


def test_health_probes_are_logged_at_debug(client, json_log):
    client.get(reverse("healthz"))
    assert [line for line in json_log() if line.get("event") == "request"] == []


def test_text_logs_for_development_show_the_request_line(client):
    config = logging_settings("text", "INFO")
    configurator = logging.config.DictConfigurator({})
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(configurator.configure_formatter(config["formatters"]["text"]))
    handler.addFilter(configurator.configure_filter(config["filters"]["context"]))
    logging.getLogger("portal.request").addHandler(handler)
    try:
        client.get(reverse("login"), HTTP_X_REQUEST_ID="dev-1")
    finally:
        logging.getLogger("portal.request").removeHandler(handler)
    assert "INFO portal.request [dev-1] GET login 200" in buffer.getvalue()


def test_an_unknown_log_format_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        logging_settings("xml", "INFO")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_sent_through_the_broker_carries_the_request_id():
    """A real worker (CI) runs a task sent while a request id is set: the worker's line
    for the run carries it (it travels in the message headers, not in this thread)."""
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        if os.environ.get("REQUIRE_CELERY_WORKER") == "1":
            pytest.fail("REQUIRE_CELERY_WORKER=1 but CELERY_BROKER_URL is not set")
        pytest.skip("CELERY_BROKER_URL not set: no real worker to test against")
    from celery.contrib.testing.worker import start_worker

    from municipalities.tasks import roster_summary
    from portal.celery import app

    # The worker sets up logging as it starts (from LOGGING): capture after that.
    with (
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30),
        captured_json_log() as json_log,
    ):
        token = logs.request_id.set("req-broker")
        try:
            result = roster_summary.delay(2031)
        finally:
            logs.request_id.reset(token)
        assert result.get(timeout=30) == {}
        # The run's line is written just after its result is stored.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            lines = [line for line in json_log() if line.get("task") == "portal.roster_summary"]
            if lines:
                break
            time.sleep(0.1)  # waiting for the worker's thread, not for a clock
    [task_line] = lines
    assert task_line["request_id"] == "req-broker"
    assert task_line["state"] == "succeeded"


def test_a_retried_run_is_logged_and_counted_as_retried(json_log):
    """What Celery signals around a run that ends in a retry (``Retry`` raised by
    ``autoretry_for``): the run counts as retried, not failed."""
    from celery import signals
    from prometheus_client import REGISTRY

    from cases.engine.tasks import scan_municipality

    labels = {"task": "cases.scan_municipality", "state": "retried"}
    before = REGISTRY.get_sample_value("portal_task_runs_total", labels) or 0
    signals.task_prerun.send(
        sender=scan_municipality, task_id="t-1", task=scan_municipality, args=(), kwargs={}
    )
    signals.task_postrun.send(
        sender=scan_municipality,
        task_id="t-1",
        task=scan_municipality,
        args=(),
        kwargs={},
        retval=None,
        state="RETRY",
    )
    [line] = [line for line in json_log() if line.get("event") == "task"]
    assert (line["state"], line["level"], line["task_id"]) == ("retried", "WARNING", "t-1")
    assert REGISTRY.get_sample_value("portal_task_runs_total", labels) == before + 1
