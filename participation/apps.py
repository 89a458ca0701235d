from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = _("Participation support")

    def ready(self) -> None:
        """Declare the program, its referral rules and statistics in ``cases.registry``."""
        import participation.rules
        import participation.statistics  # noqa: F401  (they register on import)
        from participation.program import register

        register()
