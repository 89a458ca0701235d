from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Consultation support")

    def ready(self) -> None:
        import cases.rules
        import cases.statistics  # noqa: F401  (registers its statistics)
        from cases.demo import seed_cases
        from portal.demo import register_seeder

        register_seeder(20, "cases", seed_cases)
