from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community building")

    def ready(self) -> None:
        import community.rules
        import community.statistics  # noqa: F401  (registers its statistics)
        from cases.registry import register_timeline
        from community.queries import case_timeline

        register_timeline(case_timeline)

        from cases.registry import register_anonymiser
        from community.services import anonymise_for_retention

        register_anonymiser(anonymise_for_retention)

        from community.demo import seed_community
        from portal.demo import register_seeder

        register_seeder(40, "community", seed_community)
