"""Production settings: refuse to start with an unsafe configuration."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from portal.settings.base import *  # noqa: F403
from portal.settings.base import (
    AUDIT_HMAC_KEY,
    CACHE_URL,
    CELERY_BROKER_URL,
    INSECURE_DEV_AUDIT_HMAC_KEY,
    INSECURE_DEV_SECRET_KEY,
    LOG_LEVEL,
    SECRET_KEY,
    cache_settings,
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
# Behind a TLS-terminating proxy (deploy/nginx/portal.conf) that sets X-Forwarded-Proto
# and X-Forwarded-For: trust the scheme it reports, and take the client's address from it
# (first, before anything reads the address: the lockout, the audit trail).
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    MIDDLEWARE = ["portal.middleware.ForwardedClientAddressMiddleware", *MIDDLEWARE]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Several gunicorn workers (and several nodes) must count API rate limits in one place:
# without CACHE_URL, the broker's Redis is the shared cache (keys prefixed "portal").
if not CACHE_URL and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHES = cache_settings(CELERY_BROKER_URL)

# One JSON object per line for the log collector (LOG_FORMAT=text to read them by eye).
LOGGING = logging_settings(env.str("LOG_FORMAT", default="json"), LOG_LEVEL)
