"""Statistics: the municipality's 実施計画 (法第106条の5), one version per fiscal year, with
the 事業 it runs and by whom, and the yearly targets of the national indicators."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TenantModel


class ImplementationPlan(TenantModel):
    """重層的支援体制整備事業実施計画 as in force for one fiscal year: its plan period, its
    policies, the 事業 it runs (``PlanBusiness``) and its yearly targets
    (``IndicatorTarget``). A new fiscal year's version starts as a copy of the last one."""

    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    first_year = models.PositiveSmallIntegerField(_("plan period from (fiscal year)"))
    last_year = models.PositiveSmallIntegerField(_("plan period to (fiscal year)"))
    policies = models.TextField(_("basic policies"), blank=True)
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("implementation plan")
        verbose_name_plural = _("implementation plans")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year"], name="implementation_plan_once"
            ),
            models.CheckConstraint(
                condition=models.Q(last_year__gte=models.F("first_year")),
                name="implementation_plan_period",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.fiscal_year}"


class PlanBusiness(TenantModel):
    """A 事業 the plan runs, and who runs it: the municipality itself (直営), contracted
    organisations (委託先), or both."""

    class Operation(models.TextChoices):
        DIRECT = "direct", _("Run directly")  # 直営
        CONTRACTED = "contracted", _("Contracted out")  # 委託
        BOTH = "both", _("Direct and contracted")  # 直営・委託
        NOT_RUN = "not_run", _("Not run")  # 実施しない

    plan = models.ForeignKey(
        ImplementationPlan, on_delete=models.CASCADE, related_name="businesses"
    )
    business = models.CharField(_("business"), max_length=30)
    operation = models.CharField(
        _("run by"), max_length=12, choices=Operation.choices, default=Operation.DIRECT
    )
    contractors = models.CharField(_("contractors"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("business of the plan")
        verbose_name_plural = _("businesses of the plan")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "business"], name="plan_business_once"),
        ]


class IndicatorTarget(TenantModel):
    """A yearly target of the 実施計画 for one national indicator (実施計画の目標値)."""

    plan = models.ForeignKey(
        ImplementationPlan,
        on_delete=models.CASCADE,
        null=True,
        related_name="targets",
        verbose_name=_("implementation plan"),
    )
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
