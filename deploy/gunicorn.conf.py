"""gunicorn settings of the portal's web process: ``gunicorn -c deploy/gunicorn.conf.py
portal.wsgi:application``. Every value can be overridden by an environment variable
(named beside it) without editing this file.

Static files are served by the application itself (whitenoise, from ``collectstatic``'s
hashed files with far-future caching), so the proxy only forwards requests.

Graceful reload after an upgrade: ``kill -HUP <master pid>`` (systemd: ``reload``)
starts new workers with the new code and lets the old ones finish their requests.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Synchronous workers: 2 per core plus one, the usual rule for a process that waits on
# the database; at least 2 so that one slow request does not hold up the next.
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, multiprocessing.cpu_count() * 2 + 1)))
# A page waits on the database at most this long; statistics and exports stay well under.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Finish requests in progress on stop or reload before a worker is killed.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then (with jitter, not all at once) so that a slow leak in a
# library cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Behind the proxy: trust its X-Forwarded-* headers only from itself.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

# Logs follow LOG_FORMAT, like the application's (production default: json).
# json: no access log. The application writes one JSON line per request itself
# (portal.logs: view name, status, duration, request id, user and municipality ids; no
# path, no query string), which an access log would only repeat with less in it.
# gunicorn's own lines (start, workers, timeouts) are JSON too.
# text: an access log to stdout (journald): time, method and path without the query
# string (it can hold a searched name), status, bytes and duration in microseconds. No
# user, no referrer, no query: nothing personal.
if os.environ.get("LOG_FORMAT", "json") == "json":
    accesslog = None
    logconfig_dict = {
        "root": {"level": "INFO", "handlers": []},  # the application configures its own
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["error_console"],
                "propagate": False,
            },
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": ["asctime", "levelname", "name", "message"],
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
    }
else:
    accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
    access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(D)sus'

# Metrics (portal.metrics): with PROMETHEUS_MULTIPROC_DIR set, every worker writes its
# counters to files there and /metrics adds them up. The directory must exist, be
# writable by the service and shared with the Celery worker of the same machine; empty it
# only when neither runs (it lives under /run, which a reboot empties). Counters only, so
# a worker that exits leaves nothing stale behind.


def post_worker_init(worker: object) -> None:
    """Once the worker has loaded the application: freeze what it loaded out of the
    garbage collector's full collections (``portal.runtime``)."""
    from portal.runtime import settle_after_start

    settle_after_start()
