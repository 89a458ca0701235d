"""Settings for every environment.

Every value comes from an environment variable with a default that gives a working
development setup on a fresh machine: a SQLite file and Celery tasks run in-process.
``DATABASE_URL`` switches to PostgreSQL and ``CELERY_BROKER_URL`` to Redis.
The README lists every variable.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read ``NAME`` or, when ``NAME_FILE`` is set, the contents of that file."""
    file_path = env.str(f"{name}_FILE", default="")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return env.str(name, default=default)


DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The development key is public on purpose; production settings refuse it.
INSECURE_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_secret("DJANGO_SECRET_KEY", INSECURE_DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# Signs the audit chain's head and its checkpoints (municipalities.audit_chain). The
# database does not hold it, so whoever can change the audit table cannot re-sign the
# chain. Like the secret key: a public development key that production settings refuse.
INSECURE_DEV_AUDIT_HMAC_KEY = "insecure-development-only-audit-key-do-not-use-in-production"
AUDIT_HMAC_KEY = env_secret("AUDIT_HMAC_KEY", INSECURE_DEV_AUDIT_HMAC_KEY)
# Why the key cannot be used ("" when it can); production settings set it.
AUDIT_HMAC_KEY_PROBLEM = ""
# Signed checkpoints of the audit chain go to the log and, when set, are appended to this
# file (make it append-only for the portal's account, and keep it off the database server).
AUDIT_CHECKPOINT_FILE = env.str("AUDIT_CHECKPOINT_FILE", default="")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "portal",
    "municipalities",
    "cases",
    "participation",
    "community",
    "outreach",
]

# Form widgets render through the project's templates, so that portal/templates can
# override one (the empty choice of a select box reads 「選択してください」, not "---------").
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

MIDDLEWARE = [
    # First: the request id, the request's log line and its latency metric.
    "portal.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that reads the database: which reads may go to a replica.
    "portal.replica.ReplicaPinMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.JapaneseFirstLocaleMiddleware",
    # Before anything that reads the database: the 503 page during maintenance.
    "portal.middleware.MaintenanceMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.RequestContextMiddleware",
    "portal.middleware.SessionTimeoutMiddleware",
    # Sends a session that has not passed its second factor to the code step.
    "municipalities.middleware.SecondFactorMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# While this file exists, the portal answers 503 (maintenance) to all but /healthz/.
MAINTENANCE_FILE = env.str("DJANGO_MAINTENANCE_FILE", default="")

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        # Django's, with {% load i18n %} loading portal/templatetags/quick_i18n.py: its
        # {% translate "literal" %} keeps its text per language.
        "BACKEND": "portal.template_backend.DjangoTemplates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% url %} and |date as Django's, faster on list pages (portal/templatetags).
            "builtins": ["portal.templatetags.quick"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "municipalities.context_processors.membership",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------
# Unset: a SQLite file next to manage.py. postgres://user:pass@host:5432/name: PostgreSQL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# A PostgreSQL streaming replica of the same database: statistics, their exports and the
# national view read from it (portal.replica); everything else uses the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL")
    # Tests create no database on the replica: it shows the primary's test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
for _database in DATABASES.values():
    _database["ATOMIC_REQUESTS"] = False
    if _database["ENGINE"] != "django.db.backends.postgresql":
        continue
    _database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    _database["CONN_HEALTH_CHECKS"] = True
    if env.bool("DATABASE_PGBOUNCER", default=False):
        # Behind PgBouncer in transaction pooling mode each transaction may run on another
        # server connection: no server-side cursors (``.iterator()`` would declare one
        # that the next fetch cannot find) and no session settings sent at connect, which
        # PgBouncer refuses; set jit = off on the database instead (deploy/README.md).
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        # No JIT: the rule and statistics queries carry subplans whose cost estimates
        # pass jit_above_cost, and compiling them takes longer than running them (see
        # bench/README.md).
        _options = _database.setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DATABASE_ROUTERS = ["portal.replica.ReplicaRouter"]
# After a request that wrote, the same browser's requests read only from the primary for
# this long (a cookie), so that what was just saved shows even while the replica lags.
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=10)
# ``manage.py backup_db`` writes its dumps and manifests here (``make backup``), and
# runs PostgreSQL's client programs from PG_BIN when set (else the ones matching the
# server's major version are looked for: see municipalities/backup.py).
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(BASE_DIR / "backups")))
PG_BIN = env.str("PG_BIN", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------
# What the processes must share: the API's rate-limit counts (DRF throttling) live in
# the cache. Unset: each process keeps its own, which is right only for one process
# (development). redis://host:6379/1: every process and node counts in one place;
# production defaults to the broker's Redis (portal.settings.production).
CACHE_URL = env.str("CACHE_URL", default="")


def cache_settings(url: str) -> dict:
    """The cache at ``url`` (Redis), or one in each process's memory when empty."""
    if not url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "portal",
            # Like the broker: a Redis that takes a second to answer counts as down.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


CACHES = cache_settings(CACHE_URL)

# Lockouts (django-axes) are counted in the database, so every node sees them.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

# --- Accounts ---------------------------------------------------------------------
AUTH_USER_MODEL = "municipalities.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses locked-out accounts and addresses first.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout after repeated failures, per account and (separately) per address.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Second factor (TOTP): required of managers and system administrators, optional for
# other staff. Wrong codes are throttled per device (1 s, 2 s, 4 s … after each failure)
# and count as failed logins for the lockout above.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="重層的支援ポータル")
OTP_TOTP_THROTTLE_FACTOR = env.int("OTP_TOTP_THROTTLE_FACTOR", default=1)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Idle timeout: the session expires 30 minutes after the last request (to within a
# minute: a request renews it when the last renewal is a minute old or more, so that a
# page does not write the session row each time; portal.middleware.SessionTimeoutMiddleware) …
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_RENEW_SECONDS = 60
# … and at the latest this long after logging in, however active the user is.
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=10 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Language and time ------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Content-Security-Policy (no inline script anywhere) ---------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Static files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Uploads ----------------------------------------------------------------------
# A roster of every municipality in Japan is well under 1 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ROSTER_UPLOAD_MAX_BYTES = env.int("ROSTER_UPLOAD_MAX_BYTES", default=2 * 1024 * 1024)

# --- Celery -----------------------------------------------------------------------
# Unset: tasks run in-process (eager) so the quick start needs no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_ACKS_LATE = False  # opted into per task, only where the task is idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Nobody reads a task's result (the roster check opts back in), so sending a task never
# touches the result store: with Redis down, a save is not held up reconnecting to it.
CELERY_TASK_IGNORE_RESULT = True
# A dead broker must cost a save about a second, not the client's default patience:
# Redis answers within milliseconds, so a connection that takes 1 s to open or 2 s to
# answer is treated as down (no retry of a timed-out command). Workers and beat keep
# their own reconnect loop (broker_connection_retry), only each attempt is shorter.
# The after-save enqueue makes one attempt (cases/engine/evaluation.py).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "retry_on_timeout": False,
    # A late-acked task left unacknowledged by a killed worker is delivered again this
    # long after it was fetched (plus the workers' restore sweep, about 100 s). It must
    # stay above the longest task's hard time limit plus the longest retry countdown, or
    # a task still running (or waiting for its retry) is delivered a second time: every
    # task's limit is at most 300 s and retries wait at most 60 s (portal/tasks.py).
    # 600 s: an interrupted scan runs again within about 12 minutes (the hourly beat
    # sends a new one anyway); tests/test_celery.py keeps the limits below it.
    "visibility_timeout": 600,
}
CELERY_TIMEZONE = TIME_ZONE
# The referral engine scans every municipality hourly (saves re-evaluate one case at
# once); the interval is an environment setting.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # The head of each audit chain that grew is checked, signed and written out of the
    # database every minute (see municipalities.audit_chain).
    "audit-seal": {"task": "portal.seal_audit", "schedule": 60},
    # Readiness (/readyz/) reports how long ago beat and a worker last did this.
    "beat-heartbeat": {"task": "portal.beat_heartbeat", "schedule": 60},
    "referral-scan": {
        "task": "cases.scan_all",
        "schedule": env.int("REFERRAL_SCAN_INTERVAL_SECONDS", default=3600),
    },
    # Persons past their municipality's retention period are anonymised once a day.
    "retention-anonymise": {
        "task": "cases.anonymise_expired",
        "schedule": env.int("RETENTION_INTERVAL_SECONDS", default=24 * 3600),
    },
}

# --- Django REST framework --------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # A read-only token may only read (GET, HEAD, OPTIONS).
        "municipalities.api_tokens.TokenScopeAllows",
    ],
    # The token first: a missing, expired or revoked token is answered 401 (the first
    # class names the challenge); without an Authorization header the session is used.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "municipalities.api_tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": [
        "portal.api.StrictFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api_hooks.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_TOKEN_RATE", default="1000/hour")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api_hooks.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# API tokens (django-rest-knox): hashed at rest, several per staff account, each with the
# expiry and scope a manager chose (municipalities.api_tokens); header "Token <key>".
KNOX_TOKEN_MODEL = "municipalities.ApiToken"  # noqa: S105 (a model name, not a secret)
# knox's own token model is replaced by ours: its migrations would only create an unused
# table.
MIGRATION_MODULES = {"knox": None}
SPECTACULAR_SETTINGS = {
    "TITLE": "重層的支援 ケース管理ポータル API",
    "DESCRIPTION": "Tenant-scoped API of the multi-layered support portal. Every read and "
    "write is limited to the caller's municipality and role, and audited.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api_schema.add_error_responses",
    ],
    # Several models have a "status" or "kind": name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.Case.Status",
        "ReferralStatusEnum": "cases.models.Referral.Status",
        "ProgramEnum": "cases.registry.program_choices",
        "MeetingKindEnum": "cases.models.Meeting.Kind",
        "PlanStatusEnum": "cases.models.SupportPlan.Status",
        "FlagStateEnum": "cases.models.Flag.State",
        "AssignmentStatusEnum": "participation.models.Assignment.Status",
        "MenuStatusEnum": "participation.models.Menu.Status",
        "MenuKindEnum": "participation.models.Menu.Kind",
        "ProviderKindEnum": "participation.models.Provider.Kind",
        "PlaceStatusEnum": "community.models.Place.Status",
        "PlaceKindEnum": "community.models.Place.Kind",
        "ConcernStatusEnum": "community.models.Concern.Status",
    },
}


# --- Logs, errors and metrics ------------------------------------------------------
# One line per request and per task run (portal.logs), ids only, with the request id
# carried into the tasks a request sends. LOG_FORMAT: "text" (development) or "json"
# (one JSON object per line; the production default).
def logging_settings(log_format: str, level: str) -> dict:
    if log_format not in ("json", "text"):
        raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "portal.logs.ContextFilter"}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": ["asctime", "levelname", "name", "message", "request_id"],
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "json_ensure_ascii": False,
            },
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The audit chain's signed checkpoints are INFO lines, kept whatever the level.
            "portal.audit": {"level": "INFO"},
            # Celery's own "task succeeded" line repeats portal.task's (and prints the
            # result); its failures (WARNING and above) stay.
            "celery.app.trace": {"level": "WARNING"},
        },
    }


LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = logging_settings(env.str("LOG_FORMAT", default="text"), LOG_LEVEL)
# Workers and beat log through LOGGING too (portal.logs), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Error reports (portal.sentry): off unless SENTRY_DSN is set; personal data is removed
# before an event leaves the server.
SENTRY_DSN = env_secret("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")

# /metrics (portal.metrics) answers only "Authorization: Bearer <METRICS_TOKEN>"; unset,
# it answers 404 to everyone.
METRICS_TOKEN = env_secret("METRICS_TOKEN", "")
# host:port where a Celery worker serves the same /metrics itself, for a machine that runs
# workers without a web process (unset: off).
METRICS_WORKER_ADDRESS = env.str("METRICS_WORKER_ADDRESS", default="")

# --- Demo -------------------------------------------------------------------------
# The password given to demo accounts created by ``manage.py seed_demo``.
DEMO_PASSWORD = env_secret("DEMO_PASSWORD", "demo-pass-2026")
