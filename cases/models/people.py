"""People and households (本人と世帯): the residents a case is about."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.core.text import search_key
from municipalities.scoping import TenantModel


class Person(TenantModel):
    """A resident. Names are searched through the normalised ``search_*`` columns."""

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other / as stated")
        UNRECORDED = "unrecorded", _("Not recorded")

    name = models.CharField(_("full name"), max_length=100)
    name_kana = models.CharField(_("reading (kana)"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices, default=Sex.UNRECORDED)
    sex_note = models.CharField(_("sex as stated"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone_home = models.CharField(_("phone (home)"), max_length=30, blank=True)
    phone_mobile = models.CharField(_("phone (mobile)"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    search_name = models.CharField(max_length=100, editable=False)
    search_kana = models.CharField(max_length=100, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    # Optimistic locking: every edit bumps it; an edit based on an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["search_kana", "pk"]
        indexes = [
            # Name search and duplicate hints: WHERE municipality_id = %s AND search_kana LIKE …
            models.Index(fields=["municipality", "search_kana"], name="person_muni_kana_idx"),
            models.Index(fields=["municipality", "search_name"], name="person_muni_name_idx"),
            # Date-of-birth narrowing and duplicate hints.
            models.Index(fields=["municipality", "birth_date"], name="person_muni_dob_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.search_name = search_key(self.name)
        self.search_kana = search_key(self.name_kana)
        super().save(*args, **kwargs)

    def age_on(self, day: datetime.date | None = None) -> int | None:
        return self.age_of(self.birth_date, day)

    @staticmethod
    def age_of(birth_date: datetime.date | None, day: datetime.date | None = None) -> int | None:
        """The age on ``day`` (today) of someone born on ``birth_date`` (None unknown)."""
        if birth_date is None:
            return None
        day = day or timezone.localdate()
        b = birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    @property
    def age(self) -> int | None:
        return self.age_on()


class Household(TenantModel):
    name = models.CharField(_("household name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.name


class Relationship(models.TextChoices):
    SELF = "self", _("The person")  # 本人
    SPOUSE = "spouse", _("Spouse")  # 配偶者
    FATHER = "father", _("Father")  # 父
    MOTHER = "mother", _("Mother")  # 母
    SON = "son", _("Son")  # 息子
    DAUGHTER = "daughter", _("Daughter")  # 娘
    SIBLING = "sibling", _("Sibling")  # 兄弟姉妹
    GRANDPARENT = "grandparent", _("Grandparent")  # 祖父母
    GRANDCHILD = "grandchild", _("Grandchild")  # 孫
    OTHER_RELATIVE = "relative", _("Other relative")  # その他親族
    OTHER = "other", _("Other")  # その他


class HouseholdMember(TenantModel):
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("household")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person")
    )
    relationship = models.CharField(
        _("relationship"),
        max_length=20,
        choices=Relationship.choices,
        help_text=_("Relationship to the household's main person (本人)."),
    )
    is_carer = models.BooleanField(_("cares for another member"), default=False)
    needs_care = models.BooleanField(_("needs care"), default=False)
    works = models.BooleanField(_("in work or school"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    left_at = models.DateField(_("left the household on"), null=True, blank=True)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "person"],
                condition=Q(left_at__isnull=True),
                name="household_member_once",
            ),
        ]
