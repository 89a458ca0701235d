from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for operators and load balancers: database and broker reachable."""
    status: dict[str, str] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception:
        logger.exception("health check: database unreachable")
        status["database"] = "error"
        healthy = False
    if settings.CELERY_BROKER_URL:
        from portal.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            status["broker"] = "ok"
        except Exception:
            logger.exception("health check: broker unreachable")
            status["broker"] = "error"
            healthy = False
    else:
        status["broker"] = "in-process"
    return JsonResponse(status, status=200 if healthy else 503)


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
