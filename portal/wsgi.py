from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")

application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (after setup)
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

if settings.AUDIT_HMAC_KEY_PROBLEM:
    # A web process must not start unable to sign the audit trail.
    raise ImproperlyConfigured(settings.AUDIT_HMAC_KEY_PROBLEM)
