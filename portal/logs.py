"""Operational logs: one line per request and one per task run, tied together by a
request id, with record numbers and ids only (never a name, a note or a query string).

The request id comes from the proxy's ``X-Request-ID`` when it is well formed, or is made
here; it goes back in the response header, onto every log line written while the request
is served, and into the Celery messages the request sends, so that the worker's lines
for those tasks carry it too. The format (JSON or text) is a setting (``LOG_FORMAT``).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from celery import signals

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy may hand over: nginx's $request_id (32 hex digits), a UUID, or any other
# token of letters, digits and ``._-`` up to 64 characters. Anything else is replaced.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# The Celery message header that carries the request id to the worker.
TASK_HEADER = "portal_request_id"

request_logger = logging.getLogger("portal.request")
task_logger = logging.getLogger("portal.task")

# Probes answer every few seconds from every monitor: their lines are DEBUG, not INFO.
PROBE_VIEWS = frozenset({"healthz", "readyz", "metrics"})


def request_id_from(supplied: str | None) -> str:
    """The proxy's request id if it is well formed, otherwise a new one."""
    if supplied and _VALID_REQUEST_ID.fullmatch(supplied):
        return supplied
    return uuid.uuid4().hex


# Who is asking, in numbers: the apps that know what a user's municipality is register a
# function here (from their AppConfig.ready()); portal itself does not know.
_municipality_of: list[Callable[[Any], int | None]] = []


def register_municipality_of(function: Callable[[Any], int | None]) -> None:
    """``function(user)`` returns the id of the user's municipality, or None. It must not
    query the database (the request log reads only what the request already loaded)."""
    if function not in _municipality_of:
        _municipality_of.append(function)


def _municipality_id(user: Any) -> int | None:
    for function in _municipality_of:
        found = function(user)
        if found is not None:
            return found
    return None


def request_fields(request: Any, status: int, seconds: float) -> dict[str, Any]:
    """The request's log fields. The view is the URL pattern's name (``cases:case_detail``),
    not the path: no record number, no query string."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        view = match.view_name or "unnamed"
    elif request.path_info.startswith("/static/"):
        view = "static"
    else:
        view = "unmatched"
    user = getattr(request, "user", None)  # absent when static files answer first
    user_id = user.pk if user is not None and user.is_authenticated else None
    return {
        "event": "request",
        "method": request.method,
        "view": view,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "user_id": user_id,
        "municipality_id": _municipality_id(user) if user_id is not None else None,
    }


def log_request(fields: dict[str, Any]) -> None:
    level = logging.DEBUG if fields["view"] in PROBE_VIEWS else logging.INFO
    request_logger.log(
        level,
        "%s %s %s %.0fms",
        fields["method"],
        fields["view"],
        fields["status"],
        fields["duration_ms"],
        extra=fields,
    )


class ContextFilter(logging.Filter):
    """Put the request id on every record, and take off what Django's own request logger
    attaches: the request object, whose text is the full path with its query string (a
    searched name can be in it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = record.__dict__.pop("request", None)
        if not hasattr(record, "request_id"):
            # Django logs 4xx and 5xx responses after the middleware has finished.
            record.request_id = getattr(request, "request_id", None) or request_id.get()
        return True


# --- Tasks ------------------------------------------------------------------------

_TASK_STATES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
_started: dict[str, tuple[float, contextvars.Token | None]] = {}


@signals.before_task_publish.connect
def _carry_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """A task sent while a request is served carries its id in the message headers."""
    current = request_id.get()
    if current is not None and headers is not None:
        headers.setdefault(TASK_HEADER, current)


@signals.task_prerun.connect
def _task_started(task_id: str, task: Any, **kwargs: Any) -> None:
    carried = getattr(task.request, TASK_HEADER, None)
    if carried is None:
        headers = getattr(task.request, "headers", None) or {}
        carried = headers.get(TASK_HEADER)
    # A task run in-process (no broker) keeps the id of the request it runs in.
    token = request_id.set(carried) if carried is not None else None
    _started[task_id] = (time.monotonic(), token)


@signals.task_postrun.connect
def _task_finished(task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    from portal import metrics

    started, token = _started.pop(task_id, (None, None))
    seconds = time.monotonic() - started if started is not None else 0.0
    # No state: the exception was raised to the caller (in-process run), so it failed.
    outcome = _TASK_STATES.get(state or "FAILURE", (state or "").lower())
    metrics.observe_task(task.name, outcome, seconds)
    level = {"failed": logging.ERROR, "retried": logging.WARNING}.get(outcome, logging.INFO)
    task_logger.log(
        level,
        "task %s %s %.0fms",
        task.name,
        outcome,
        seconds * 1000,
        extra={
            "event": "task",
            "task": task.name,
            "task_id": task_id,
            "state": outcome,
            "duration_ms": round(seconds * 1000, 1),
        },
    )
    if token is not None:
        request_id.reset(token)


@signals.setup_logging.connect
def _use_django_logging(**kwargs: Any) -> None:
    """The worker and beat log through the settings' LOGGING (JSON or text), not Celery's
    own format: connecting this signal tells Celery to leave logging alone."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
