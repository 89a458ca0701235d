from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Consultation support")

    def ready(self) -> None:
        """Declare consultation support in ``cases.registry`` with its rules and
        statistics, and load the tasks (Celery discovers only ``<app>.tasks``)."""
        import cases.core.tasks
        import cases.engine.rules
        import cases.engine.tasks
        import cases.statistics.indicators
        import cases.statistics.queries  # noqa: F401  (they register on import)
        from cases.engine.evaluation import enqueue_case_evaluation
        from cases.engine.metrics import open_flag_counts
        from cases.programs import register
        from cases.registry import on_case_changed
        from portal.metrics import register_scrape_collector

        register()
        # Saving a case re-runs the referral rules for it after commit.
        on_case_changed(enqueue_case_evaluation)
        # /metrics reports the open flags by rule.
        register_scrape_collector(open_flag_counts)
