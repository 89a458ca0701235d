"""The referral engine's records: flags raised by the rules, and each municipality's
switch and thresholds per rule."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models.case import Case
from cases.registry import FlagSubject, flag_subject, flag_subject_choices, get_rule
from municipalities.scoping import TenantModel


class Flag(TenantModel):
    """A suggestion to a person, raised by a referral rule: never an automatic
    transfer. One unresolved flag per (rule, subject); when the rule's condition stops
    holding the engine resolves it, whatever people did with it."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("flag state", "Open")
        SNOOZED = "snoozed", _("Snoozed")
        REFERRED = "referred", _("Turned into a referral")
        DISMISSED = "dismissed", _("Dismissed")

    rule = models.CharField(_("rule"), max_length=40)
    # The kinds of record a rule can flag are declared in ``cases.registry``.
    subject_type = models.CharField(max_length=10, choices=flag_subject_choices)
    subject_id = models.BigIntegerField()
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    audience = models.CharField(_("for"), max_length=20)  # a municipalities.Role value
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(_("what the rule saw"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    as_of = models.DateField(_("as of"))
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)
    # Both indexed by the partial indexes below, not by the default full index: a flag
    # is raised with neither, so a full index would take one NULL entry per flag raised.
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    referral = models.ForeignKey(
        "Referral",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            # One unresolved flag per rule and subject: re-runs, re-delivered tasks and
            # two workers at once add nothing (INSERT … ON CONFLICT DO NOTHING).
            models.UniqueConstraint(
                fields=["municipality", "rule", "subject_type", "subject_id"],
                condition=Q(resolved_at__isnull=True),
                name="flag_one_unresolved_per_subject",
            ),
        ]
        indexes = [
            # Queue of a role: WHERE municipality_id = %s AND resolved_at IS NULL AND audience = %s.
            models.Index(
                fields=["municipality", "audience", "state"],
                condition=Q(resolved_at__isnull=True),
                name="flag_queue_idx",
            ),
            # Case page and single-case evaluation: WHERE case_id = %s AND resolved_at IS NULL.
            models.Index(
                fields=["case", "rule"], condition=Q(resolved_at__isnull=True), name="flag_case_idx"
            ),
            # A page of the queue in order: WHERE municipality_id = %s AND resolved_at IS
            # NULL AND (audience = %s OR assigned_to_id = %s) ORDER BY raised_at, id LIMIT 51;
            # read in order and stopped after a page instead of sorting the whole queue.
            models.Index(
                fields=["municipality", "raised_at", "id"],
                condition=Q(resolved_at__isnull=True),
                name="flag_queue_order_idx",
            ),
            # The PROTECT checks when a user or a referral is deleted: WHERE
            # handled_by_id = %s / WHERE referral_id IN (…). Partial, so that raising a
            # flag (neither set) adds no entry: a first scan raises a flag for every match.
            models.Index(
                fields=["handled_by"],
                condition=Q(handled_by__isnull=False),
                name="flag_handled_by_idx",
            ),
            models.Index(
                fields=["referral"], condition=Q(referral__isnull=False), name="flag_referral_idx"
            ),
        ]

    @property
    def rule_title(self) -> str:
        rule = get_rule(self.rule)
        return str(rule.title) if rule else self.rule

    @property
    def subject(self) -> FlagSubject | None:
        """What kind of record the flag is about (its label and page)."""
        return flag_subject(self.subject_type)


class RuleSetting(TenantModel):
    """A municipality's switch and thresholds for one referral rule (defaults in code)."""

    rule = models.CharField(_("rule"), max_length=40)
    enabled = models.BooleanField(_("enabled"), default=True)
    params = models.JSONField(_("thresholds"), default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("rule setting")
        verbose_name_plural = _("rule settings")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "rule"], name="rulesetting_once"),
        ]
