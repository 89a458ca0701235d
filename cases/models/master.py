"""Master data of the consultation pillar: the editable lists behind the forms (issue
categories, routes of contact, consultation methods) and the municipality's register
of support agencies (支援関係機関)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality
from municipalities.scoping import TenantModel


class Field(models.TextChoices):
    """The existing support fields that the program links (分野)."""

    ELDERLY = "elderly", _("Elderly care")  # 高齢
    DISABILITY = "disability", _("Disability")  # 障害
    CHILDREN = "children", _("Children and child-rearing")  # 子ども
    POVERTY = "poverty", _("Needy persons")  # 生活困窮
    OTHER = "other", _("Other")  # その他


class MasterData(models.Model):
    """An editable list entry. ``municipality`` empty: the national default, shared by
    all. A municipality may add its own; ``code`` stays stable for statistics."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality"),
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("name in English"), max_length=80, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label_of(self.name, self.name_en)

    @staticmethod
    def label_of(name: str, name_en: str) -> str:
        """What ``str()`` shows of an item named so: its English name in English, where
        it has one (for a list that reads the names as values)."""
        from django.utils.translation import get_language

        if name_en and (get_language() or "ja").startswith("en"):
            return name_en
        return name

    @classmethod
    def available_to(cls, municipality_id: int | None) -> models.QuerySet:
        """National defaults plus the municipality's own entries, in order."""
        return cls.objects.filter(
            Q(municipality__isnull=True) | Q(municipality_id=municipality_id), is_active=True
        ).order_by("sort_order", "code")


def master_data_constraints(prefix: str) -> list[models.UniqueConstraint]:
    """Codes are unique within a municipality and among the national defaults."""
    return [
        models.UniqueConstraint(fields=["municipality", "code"], name=f"{prefix}_unique_code"),
        models.UniqueConstraint(
            fields=["code"],
            condition=Q(municipality__isnull=True),
            name=f"{prefix}_unique_national_code",
        ),
    ]


class IssueCategory(MasterData):
    """相談内容 / 課題分類 (the 生活困窮 standard checklist plus the multi-layered patterns)."""

    field = models.CharField(_("field"), max_length=20, choices=Field.choices)

    class Meta(MasterData.Meta):
        verbose_name = _("issue category")
        verbose_name_plural = _("issue categories")
        constraints = master_data_constraints("issuecategory")


class ContactRoute(MasterData):
    """経路: how the person came to consultation."""

    class Meta(MasterData.Meta):
        verbose_name = _("route of contact")
        verbose_name_plural = _("routes of contact")
        constraints = master_data_constraints("route")


class ConsultationMethod(MasterData):
    """相談方法: 来所, 電話, 訪問, オンライン, 同行 …"""

    class Meta(MasterData.Meta):
        verbose_name = _("consultation method")
        verbose_name_plural = _("consultation methods")
        constraints = master_data_constraints("method")


class SupportAgency(TenantModel):
    """支援関係機関: an existing agency of the municipality, by field."""

    name = models.CharField(_("name"), max_length=100)
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    kind = models.CharField(
        _("kind of agency"),
        max_length=60,
        blank=True,
        help_text=_("e.g. 地域包括支援センター, 基幹相談支援センター"),
    )
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The organisation whose staff work in this agency (direct or 委託先). Staff of that
    # organisation see the cases the agency is on; an agency without one has no staff on
    # the portal (a caseworker records its answers).
    organisation = models.OneToOneField(
        "municipalities.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agency",
        verbose_name=_("organisation of its staff"),
    )

    class Meta:
        verbose_name = _("support agency")
        verbose_name_plural = _("support agencies")
        ordering = ["field", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="agency_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_contracted(self) -> bool:
        """Run by a contracted operator (委託先) rather than the municipality itself."""
        return self.organisation is not None and self.organisation.is_contractor
