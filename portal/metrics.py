"""Prometheus metrics at ``/metrics``, for the monitoring system only.

What is measured: request latency and count by view name and status class, task runs by
task name and outcome (with their duration), and figures that apps compute when the page
is scraped (the referral engine: open flags by rule). Numbers and names of code only.

Several processes: gunicorn runs several workers and Celery several children, each with
its own counters. With ``PROMETHEUS_MULTIPROC_DIR`` set (prometheus_client's multiprocess
mode), every process writes its counters to files in that directory and ``/metrics``
adds up the files of every process on the machine, web and worker alike, when the web
service and the worker service of a machine share the directory. Without it (development,
tests) the counters are this process's own.

Access: only with ``Authorization: Bearer <METRICS_TOKEN>``. Without a configured token,
and to a request without the right one, the endpoint answers 404 like any unknown URL,
so that it does not tell an outsider it exists.
"""

from __future__ import annotations

import hmac
import os
import threading
from collections.abc import Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from celery import signals
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric

REQUEST_SECONDS = Histogram(
    "portal_request_duration_seconds",
    "Time to answer a request, by view name and status class (2xx, 3xx, 4xx, 5xx).",
    ["view", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
TASK_RUNS = Counter(
    "portal_task_runs",
    "Task runs by task name and outcome (succeeded, failed, retried).",
    ["task", "state"],
)
TASK_SECONDS = Histogram(
    "portal_task_duration_seconds",
    "Time a task run took, by task name.",
    ["task"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300),
)


def observe_request(view: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(view=view, status=f"{status // 100}xx").observe(seconds)


def observe_task(task: str, state: str, seconds: float) -> None:
    TASK_RUNS.labels(task=task, state=state).inc()
    TASK_SECONDS.labels(task=task).observe(seconds)


# --- Figures computed when the page is scraped ------------------------------------

_scrape_time: list[Callable[[], Iterable[Metric]]] = []


def register_scrape_collector(collect: Callable[[], Iterable[Metric]]) -> None:
    """``collect()`` yields metric families computed at each scrape (an app's counts from
    the database: one aggregate query, counts only). Registered from AppConfig.ready()."""
    if collect not in _scrape_time:
        _scrape_time.append(collect)


class _ScrapeTime:
    def collect(self) -> Iterable[Metric]:
        for collect in _scrape_time:
            yield from collect()


def exposition() -> bytes:
    """The metrics in Prometheus' text format 0.0.4, which every Prometheus reads (the
    names need none of the newer format's escaping)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counters = CollectorRegistry()
        multiprocess.MultiProcessCollector(counters)
    else:
        counters = REGISTRY
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_ScrapeTime())
    return generate_latest(counters) + generate_latest(scraped)


def authorised(authorization: str) -> bool:
    """Whether an Authorization header carries the metrics token (constant time)."""
    token = settings.METRICS_TOKEN
    if not token:
        return False
    return hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The scrape endpoint. Counts only; not a read of personal data, so not audited."""
    if not authorised(request.headers.get("Authorization", "")):
        raise Http404
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)


# --- A machine that runs workers but no web process ------------------------------


def _worker_app(environ: dict, start_response: Callable) -> list[bytes]:
    if environ.get("PATH_INFO") != "/metrics" or not authorised(
        environ.get("HTTP_AUTHORIZATION", "")
    ):
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Not found\n"]
    from django.db import close_old_connections

    close_old_connections()  # as Django does around a request: this thread's connection
    try:
        body = exposition()
    finally:
        close_old_connections()
    headers = [("Content-Type", CONTENT_TYPE_PLAIN_0_0_4), ("Cache-Control", "no-store")]
    start_response("200 OK", headers)
    return [body]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes are not logged (the monitoring system polls every few seconds)."""


def serve_worker_metrics(address: str) -> WSGIServer:
    """Serve ``/metrics`` (same token, same content) at ``host:port`` from a thread of the
    worker's main process, for a machine whose workers have no web process beside them
    to read their ``PROMETHEUS_MULTIPROC_DIR``. Returns the server (``shutdown()``)."""
    host, _, port = address.rpartition(":")
    server = make_server(host or "127.0.0.1", int(port), _worker_app, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server


@signals.worker_ready.connect
def _worker_metrics(**kwargs: object) -> None:
    if settings.METRICS_WORKER_ADDRESS:
        serve_worker_metrics(settings.METRICS_WORKER_ADDRESS)
