"""Settings for the test suite: fast hashing, plain static storage."""

from __future__ import annotations

import os

from portal.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

# Tests render templates without collectstatic.
WHITENOISE_AUTOREFRESH = True

# On SQLite the test database is a file, not memory: the browser tests' live server then
# opens its own connection in each request thread instead of sharing the test thread's,
# whose teardown raced with the last request ("DatabaseWrapper objects created in a
# thread can only be used in that same thread" at the end of the run).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
