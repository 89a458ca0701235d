from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from portal.sentry import init_sentry

        # Error reports to Sentry when SENTRY_DSN is set (web, worker and beat alike).
        init_sentry()
