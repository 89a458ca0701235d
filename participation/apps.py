from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = _("Participation support")

    def ready(self) -> None:
        import participation.rules
        import participation.statistics  # noqa: F401  (registers its statistics)
        from cases.registry import register_timeline
        from participation.queries import case_timeline

        register_timeline(case_timeline)

        from cases.registry import register_anonymiser
        from participation.services import anonymise_for_retention

        register_anonymiser(anonymise_for_retention)

        from participation.demo import seed_participation
        from portal.demo import register_seeder

        register_seeder(30, "participation", seed_participation)
