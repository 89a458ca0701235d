from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community building")

    def ready(self) -> None:
        """Declare the program, its referral rules and statistics in ``cases.registry``."""
        import community.rules
        import community.statistics  # noqa: F401  (they register on import)
        from community.program import register

        register()
