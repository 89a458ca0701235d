from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MunicipalitiesConfig(AppConfig):
    name = "municipalities"
    verbose_name = _("Municipalities and staff")

    def ready(self) -> None:
        from municipalities.demo import seed_staff
        from portal.demo import register_seeder

        register_seeder(10, "staff", seed_staff)
