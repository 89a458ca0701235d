"""Settings for the test suite: fast hashing, plain static storage."""

from __future__ import annotations

from portal.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

# Tests render templates without collectstatic.
WHITENOISE_AUTOREFRESH = True
