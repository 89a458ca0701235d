"""/metrics: Prometheus text for the monitoring system, readable only with the token;
request latency by view, task runs by outcome, open flags by rule."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from cases.engine.metrics import open_flag_counts
from cases.models import Flag
from municipalities.models import AuditEvent
from municipalities.tasks import roster_summary

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, authorization: str | None = f"Bearer {TOKEN}"):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return client.get("/metrics", **headers)


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in the exposition text (labels in any order)."""
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if found == labels:
            return float(match.group(3))
    return None


@pytest.mark.django_db
def test_without_a_configured_token_the_endpoint_does_not_exist(client, settings):
    settings.METRICS_TOKEN = ""
    assert scrape(client).status_code == 404
    assert scrape(client, "Bearer ").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer wrong-token", f"Token {TOKEN}", f"Bearer {TOKEN}x", TOKEN, "Bearer 山田"],
)
def test_a_scrape_without_the_right_token_gets_404(client, token, authorization):
    response = scrape(client, authorization)
    assert response.status_code == 404
    assert b"portal_" not in response.content


@pytest.mark.django_db
def test_the_token_opens_the_metrics_uncached_and_unaudited(client, token):
    audited = AuditEvent.objects.count()
    response = scrape(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert "# TYPE portal_request_duration_seconds histogram" in response.content.decode()
    assert AuditEvent.objects.count() == audited


@pytest.mark.django_db
def test_a_request_shows_in_the_latency_histogram_by_view_and_status_class(client, token):
    labels = {"view": "login", "status": "2xx"}
    before = sample(
        scrape(client).content.decode(), "portal_request_duration_seconds_count", **labels
    )
    client.get(reverse("login"))
    client.get(reverse("login"))
    client.get("/no-such-page/")
    text = scrape(client).content.decode()
    after = sample(text, "portal_request_duration_seconds_count", **labels)
    assert after == (before or 0) + 2
    assert sample(text, "portal_request_duration_seconds_count", view="unmatched", status="4xx")
    assert sample(text, "portal_request_duration_seconds_bucket", le="+Inf", **labels) == after


@pytest.mark.django_db
def test_a_task_run_in_process_is_counted_by_task_and_outcome(client, token, fy2022_roster):
    labels = {"task": "portal.roster_summary", "state": "succeeded"}
    before = REGISTRY.get_sample_value("portal_task_runs_total", labels) or 0
    assert roster_summary.apply(args=[2022]).get() == {"implementation": 133}
    text = scrape(client).content.decode()
    assert sample(text, "portal_task_runs_total", **labels) == before + 1
    assert sample(text, "portal_task_duration_seconds_count", task="portal.roster_summary")


def test_a_failed_task_is_counted_as_failed(personas, monkeypatch):
    from cases.engine import tasks

    def broken(*args, **kwargs):
        raise RuntimeError("scan broke")

    monkeypatch.setattr(tasks.flags, "evaluate", broken)
    labels = {"task": "cases.scan_municipality", "state": "failed"}
    before = REGISTRY.get_sample_value("portal_task_runs_total", labels) or 0
    with pytest.raises(RuntimeError):
        tasks.scan_municipality.apply(args=[personas.municipality_a.pk], throw=True)
    assert REGISTRY.get_sample_value("portal_task_runs_total", labels) == before + 1


def test_open_flags_by_rule_follow_the_flags(client, token, world_a, world_b):
    def counts_in_database() -> dict[str, int]:
        counts: dict[str, int] = {}
        for flag in Flag.objects.filter(state=Flag.State.OPEN, resolved_at__isnull=True):
            counts[flag.rule] = counts.get(flag.rule, 0) + 1
        return counts

    expected = counts_in_database()
    assert sum(expected.values()) >= 2  # both municipalities' worlds raise flags
    text = scrape(client).content.decode()
    for rule, count in expected.items():
        assert sample(text, "portal_open_flags", rule=rule) == count

    # A flag turned into a referral or dismissed is no longer open.
    Flag.objects.filter(pk=world_a.flag.pk).update(state=Flag.State.DISMISSED)
    rule = world_a.flag.rule
    text = scrape(client).content.decode()
    assert sample(text, "portal_open_flags", rule=rule) == expected[rule] - 1
    assert "山田" not in text
    assert "松江 梅子" not in text


def test_every_rule_is_reported_even_without_flags(db):
    from cases.registry import all_rules

    [gauge] = list(open_flag_counts())
    reported = {sample.labels["rule"]: sample.value for sample in gauge.samples}
    assert set(reported) == {rule.code for rule in all_rules()}
    assert set(reported.values()) == {0}


def test_the_flag_counts_take_one_query(world_a, django_assert_num_queries):
    with django_assert_num_queries(1):  # SELECT rule, COUNT(*) … GROUP BY rule
        list(open_flag_counts())


@pytest.mark.django_db
def test_metrics_answer_during_maintenance(client, token, settings, tmp_path):
    flag_file = tmp_path / "maintenance"
    flag_file.touch()
    settings.MAINTENANCE_FILE = str(flag_file)
    assert client.get(reverse("login")).status_code == 503
    assert scrape(client).status_code == 200


def test_a_worker_without_a_web_process_serves_the_same_metrics(db, token, settings):
    """METRICS_WORKER_ADDRESS: the worker's main process answers /metrics itself, with
    the same token rule."""
    import http.client

    from portal.metrics import observe_task, serve_worker_metrics

    settings.METRICS_WORKER_ADDRESS = "127.0.0.1:0"
    server = serve_worker_metrics(settings.METRICS_WORKER_ADDRESS)
    observe_task("cases.scan_municipality", "retried", 0.2)

    def get(path: str, authorization: str | None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        headers = {} if authorization is None else {"Authorization": authorization}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
        return response.status, body

    try:
        assert get("/metrics", None)[0] == 404
        assert get("/metrics", "Bearer wrong")[0] == 404
        assert get("/other", f"Bearer {TOKEN}")[0] == 404
        status, text = get("/metrics", f"Bearer {TOKEN}")
        assert status == 200
        labels = {"task": "cases.scan_municipality", "state": "retried"}
        assert sample(text, "portal_task_runs_total", **labels) == REGISTRY.get_sample_value(
            "portal_task_runs_total", labels
        )
    finally:
        server.shutdown()
        server.server_close()
