"""What every app's Celery tasks share: the retry policy of idempotent tasks and the
date argument (tasks take JSON, so dates travel as ISO text); and beat's heartbeat,
which readiness (``/readyz/``) reads."""

from __future__ import annotations

import datetime
import time
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

# For idempotent tasks only: retried with backoff on database or broker errors, and
# acknowledged after they ran (re-delivered if the worker dies). Five retries wait at
# most 1, 2, 4, 8 and 16 s (less with jitter); the 60-s cap bounds the wait should the
# count grow, since a retry waiting in a worker counts against the broker's visibility
# timeout (settings, CELERY_BROKER_TRANSPORT_OPTIONS).
RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError, InterfaceError, ConnectionError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


def task_date(value: str | None) -> datetime.date | None:
    """A task's optional ``as_of`` argument."""
    return datetime.date.fromisoformat(value) if value else None


BEAT_KEY = "portal:beat:last-run"


@shared_task(name="portal.beat_heartbeat", time_limit=30, soft_time_limit=20, ignore_result=True)
def beat_heartbeat() -> None:
    """Beat sends this every minute; the worker that runs it notes the time in Redis, so
    readiness can tell how long ago beat (and a worker) last worked."""
    client = _redis()
    if client is not None:
        client.set(BEAT_KEY, str(time.time()), ex=24 * 3600)


def beat_last_seen() -> float | None:
    """The time of beat's last heartbeat, or None (none yet, or no broker)."""
    client = _redis()
    value = client.get(BEAT_KEY) if client is not None else None
    return float(value) if value else None


def _redis() -> Any:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return None
    import redis

    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
    )
