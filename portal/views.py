from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Nothing else is checked (a load balancer or
    systemd restarts a process that stops answering; a database outage is readiness's
    business, and restarting every web process would not cure it)."""
    return JsonResponse({"status": "ok"})


# Worker and beat answers, and the migration plan, are kept this long per process so
# that readiness can be polled every few seconds without a broadcast each time.
READINESS_CACHE_SECONDS = 10
BEAT_STALE_SECONDS = 180  # beat's heartbeat runs every minute
_cached: dict[str, tuple[float, Any]] = {}


def _cached_check(name: str, check: Callable[[], Any]) -> Any:
    now = time.monotonic()
    hit = _cached.get(name)
    if hit is not None and now - hit[0] < READINESS_CACHE_SECONDS:
        return hit[1]
    value = check()
    _cached[name] = (now, value)
    return value


def _pending_migrations() -> int:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _broker_reachable() -> None:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
        conn.ensure_connection(max_retries=1, timeout=1)


def _workers_answering() -> int:
    from portal.celery import app

    return len(app.control.ping(timeout=0.5) or [])


def _beat_age() -> float | None:
    from portal.tasks import beat_last_seen

    last = beat_last_seen()
    return None if last is None else max(0.0, time.time() - last)


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: this web process can serve requests. 503 when the database or the
    broker cannot be reached, or migrations are pending. A worker that does not answer
    and a beat that has not run lately are reported (``degraded``) without taking the
    web nodes out of service: saves still work and the scan catches up. Shows states
    and counts only, nothing secret."""
    checks: dict[str, Any] = {}
    ready = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
        pending = _cached_check("migrations", _pending_migrations)
        checks["migrations"] = "ok" if pending == 0 else f"{pending} pending"
        ready = pending == 0
    except Exception:
        logger.exception("readiness: database unreachable")
        checks["database"] = "error"
        ready = False
    degraded = False
    if settings.CELERY_BROKER_URL:
        try:
            _broker_reachable()
            checks["broker"] = "ok"
        except Exception:
            logger.exception("readiness: broker unreachable")
            checks["broker"] = "error"
            ready = False
        if checks["broker"] == "ok":
            try:
                workers = _cached_check("workers", _workers_answering)
            except Exception:
                logger.exception("readiness: worker ping failed")
                workers = 0
            checks["workers"] = workers
            try:
                age = _cached_check("beat", _beat_age)
            except Exception:
                logger.exception("readiness: beat's heartbeat unreadable")
                age = None
            checks["beat_seconds_ago"] = None if age is None else round(age)
            degraded = workers == 0 or age is None or age > BEAT_STALE_SECONDS
    else:
        checks["broker"] = "in-process"  # no broker: tasks run in the web process
    checks["degraded"] = degraded
    return JsonResponse(
        {"status": "ready" if ready else "not ready", **checks}, status=200 if ready else 503
    )


def not_found(request: HttpRequest, exception: Exception | None = None):
    """404 as structured JSON under /api/ (what the API documents), the page elsewhere."""
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "not_found", "message": _("Not found"), "fields": {}}},
            status=404,
        )
    return render(request, "404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None):
    """400 for a request that cannot be read at all (too large, malformed): structured
    JSON under /api/, a Japanese page elsewhere."""
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    message = _("The request could not be read: it is too large or malformed.")
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "bad_request", "message": message, "fields": {}}}, status=400
        )
    return render(request, "400.html", {"reason": message}, status=400)


# Pages for when the portal itself cannot work: they read no database and no session
# (the outage may be the database), so they do not extend base.html.


def _error_page(
    request: HttpRequest, status: int, code: str, title: str, message: str, advice: str
):
    from django.http import HttpResponse
    from django.template import loader

    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": code, "message": message, "fields": {}}}, status=status
        )
    html = loader.get_template("error_page.html").render(
        {"title": title, "message": message, "advice": advice}
    )
    return HttpResponse(html, status=status)


def server_error(request: HttpRequest):
    """500: a Japanese page, or the API's JSON error format under /api/."""
    from django.utils.translation import gettext as _

    return _error_page(
        request,
        500,
        "server_error",
        _("The portal could not complete the request"),
        _("An error occurred on the server. What you were entering may not have been saved."),
        _(
            "Check the record, and try again in a few minutes. If it happens again, tell "
            "the system administrator the time it happened."
        ),
    )


def maintenance(request: HttpRequest):
    """503 while the operator has the portal in maintenance (see MaintenanceMiddleware)."""
    from django.utils.translation import gettext as _

    response = _error_page(
        request,
        503,
        "maintenance",
        _("The portal is under maintenance"),
        _("The portal is being updated and cannot be used for a short while."),
        _("Nothing you saved before is lost. Please try again in a few minutes."),
    )
    response["Retry-After"] = "300"
    return response
