"""Production settings: refuse to start with an unsafe configuration."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from portal.settings.base import *  # noqa: F403
from portal.settings.base import (
    AUDIT_HMAC_KEY,
    INSECURE_DEV_AUDIT_HMAC_KEY,
    INSECURE_DEV_SECRET_KEY,
    LOG_LEVEL,
    SECRET_KEY,
    env,
    logging_settings,
)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
if not SECRET_KEY or SECRET_KEY == INSECURE_DEV_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) to a random value of at least "
        "50 characters."
    )
# The audit key is needed where audit events are written or verified, not to build the
# static files: a missing or weak key is refused by the system checks (manage.py check,
# migrate), by the WSGI entry at start, and by the audit chain before it signs anything.
AUDIT_HMAC_KEY_PROBLEM = (
    "Set AUDIT_HMAC_KEY (or AUDIT_HMAC_KEY_FILE) to a random value of at least 32 "
    "characters, other than the secret key, and keep it off the database server."
    if not AUDIT_HMAC_KEY
    or AUDIT_HMAC_KEY in (INSECURE_DEV_AUDIT_HMAC_KEY, SECRET_KEY)
    or len(AUDIT_HMAC_KEY) < 32
    else ""
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# One JSON object per line for the log collector (LOG_FORMAT=text to read them by eye).
LOGGING = logging_settings(env.str("LOG_FORMAT", default="json"), LOG_LEVEL)
