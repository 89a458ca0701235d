from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MunicipalitiesConfig(AppConfig):
    name = "municipalities"
    verbose_name = _("Municipalities and staff")

    def ready(self) -> None:
        # Signal receivers: a lockout or a deactivation ends the account's sessions and
        # revokes its API tokens, whichever process (web, worker, command) notices it.
        from municipalities import api_tokens, checks, security  # noqa: F401
