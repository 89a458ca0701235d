"""What every app's Celery tasks share: the retry policy of idempotent tasks and the
date argument (tasks take JSON, so dates travel as ISO text)."""

from __future__ import annotations

import datetime
from typing import Any

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
