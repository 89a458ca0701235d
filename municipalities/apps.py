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
        from municipalities.scoping import cached_municipality_id
        from portal.logs import register_municipality_of

        # The request log names the user's municipality by its id.
        register_municipality_of(cached_municipality_id)
