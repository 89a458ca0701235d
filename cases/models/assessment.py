"""インテーク・アセスメントシート: what the caseworker learnt of the person and their
household, kept version by version, and the caseworker's marks on the relationships
around them (drawn on the ecomap)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models.case import Case
from cases.models.master import SupportAgency
from municipalities.scoping import TenantModel


class Assessment(TenantModel):
    """One version of a case's assessment. Each save is a new row with the next
    ``version``; the earlier ones stay as they were (``cases.assessment.services``)."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("case")
    )
    version = models.PositiveIntegerField(_("version"))
    assessed_on = models.DateField(_("date of the assessment"))
    wishes = models.TextField(_("the person's wishes, in their own words"))  # 本人の意向
    life_history = models.TextField(_("life history"), blank=True)  # 生活歴
    # {domain key: {"situation": str, "issues": str, "strengths": str}} for the keys of
    # ``cases.assessment.domains.DOMAINS``.
    domains = models.JSONField(_("domains"), default=dict, blank=True)
    # Who took part (参加者).
    staff_present = models.CharField(_("staff who took part"), max_length=200, blank=True)
    person_present = models.BooleanField(_("the person took part"), default=False)
    family_present = models.CharField(_("family who took part"), max_length=200, blank=True)
    agencies_present = models.ManyToManyField(
        SupportAgency, blank=True, related_name="+", verbose_name=_("agencies that took part")
    )
    # People around the person who support them, not on the portal (民生委員, a
    # neighbour, a friend): [{"name": str, "role": str}], drawn on the ecomap.
    supporters = models.JSONField(_("supporters"), default=list, blank=True)
    # Ids of the household's persons who have died, drawn as such on the genogram.
    deceased = models.JSONField(_("deceased members"), default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["case", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="assessment_case_version"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} v{self.version}"


class RelationshipMark(TenantModel):
    """How the caseworker sees the tie between the person and one supporter on the
    ecomap (one mark per case and supporter; ``target`` is the supporter's key, such as
    ``agency:12``)."""

    class Strength(models.TextChoices):
        STRONG = "strong", _("Strong")  # 強い関係
        WEAK = "weak", _("Weak")  # 弱い関係
        STRAINED = "strained", _("Strained")  # ストレスのある関係

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="relationship_marks", verbose_name=_("case")
    )
    target = models.CharField(_("supporter"), max_length=120)
    strength = models.CharField(_("relationship"), max_length=10, choices=Strength.choices)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField(_("marked at"), auto_now=True)

    class Meta:
        verbose_name = _("relationship mark")
        verbose_name_plural = _("relationship marks")
        constraints = [
            models.UniqueConstraint(fields=["case", "target"], name="relationship_mark_once"),
        ]
