"""Statistics: the yearly targets a manager sets for the national indicators."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TenantModel


class IndicatorTarget(TenantModel):
    """A yearly target a manager sets for one national indicator (実施計画の目標値)."""

    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    indicator = models.CharField(_("indicator"), max_length=40)
    target = models.PositiveIntegerField(_("target"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year", "indicator"], name="target_once"
            ),
        ]
