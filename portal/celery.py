"""The Celery app. Configuration comes from Django settings (``CELERY_*``)."""

from __future__ import annotations

import os

from celery import Celery

# Task log lines and metrics, the request id carried into tasks, the worker's logging
# through the settings' LOGGING and its optional metrics endpoint (their signal receivers
# connect on import).
import portal.logs
import portal.metrics  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
