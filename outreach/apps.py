from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = _("Outreach")

    def ready(self) -> None:
        """Declare the program, its cadence rules and statistics in ``cases.registry``."""
        import outreach.rules
        import outreach.statistics  # noqa: F401  (they register on import)
        from outreach.program import register

        register()
