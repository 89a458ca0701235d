from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Consultation support")

    def ready(self) -> None:
        import cases.core.tasks
        import cases.engine.rules
        import cases.engine.tasks
        import cases.statistics.queries  # noqa: F401  (registers rules, statistics, tasks)
        from cases.demo import seed_cases
        from portal.demo import register_seeder

        register_seeder(20, "cases", seed_cases)
