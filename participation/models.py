"""Participation support (参加支援事業): providers, menus made with them, matching
people referred from consultation, assignments, session logs and follow-up after a
person settles in. Personal data stay in ``cases``; these rows point at a ``Case``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Case, Referral, TenantModel


class Accommodation(models.TextChoices):
    """What a menu offers people who need it (配慮)."""

    SHORT_HOURS = "short_hours", _("Short hours possible")  # 短時間可
    NO_PHONE = "no_phone", _("No phone calls needed")  # 電話不要
    WHEELCHAIR = "wheelchair", _("Wheelchair accessible")  # 車椅子可
    COMPANION = "companion", _("Companion allowed")  # 同伴可
    QUIET = "quiet", _("Quiet place")  # 静かな環境
    FEW_PEOPLE = "few_people", _("Few people around")  # 少人数
    ONLINE = "online", _("Online possible")  # オンライン可
    FLEXIBLE_DAYS = "flexible_days", _("Flexible days")  # 日程柔軟


class Weekday(models.TextChoices):
    MON = "mon", _("Mon")
    TUE = "tue", _("Tue")
    WED = "wed", _("Wed")
    THU = "thu", _("Thu")
    FRI = "fri", _("Fri")
    SAT = "sat", _("Sat")
    SUN = "sun", _("Sun")


class Provider(TenantModel):
    """受け入れ先: a company, NPO, 社協, farm, shop, school … that hosts people."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        NPO = "npo", _("NPO")
        SWC = "swc", _("Social welfare council")
        FARM = "farm", _("Farm")
        SHOP = "shop", _("Shop")
        SCHOOL = "school", _("School")
        WELFARE = "welfare", _("Welfare service")
        RESIDENTS = "residents", _("Residents' group")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    contact_person = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    area = models.CharField(_("area"), max_length=50, blank=True)
    host_support = models.TextField(
        _("support the host needs"),
        blank=True,
        help_text=_("What the provider needs from us to host people (受け入れ先支援)."),
    )
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="provider_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Menu(TenantModel):
    """社会参加メニュー, modelled on Open Referral HSDS's service."""

    class Kind(models.TextChoices):
        WORK_EXPERIENCE = "work_experience", _("Work experience")  # 就労体験
        INTERMEDIATE_WORK = "intermediate_work", _("Intermediate work")  # 中間的就労
        VOLUNTEERING = "volunteering", _("Volunteering")  # ボランティア
        PLACE = "place", _("Place to belong")  # 居場所
        LEARNING = "learning", _("Learning support")  # 学習支援
        HOBBY = "hobby", _("Hobby activity")  # 趣味活動
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CLOSED = "closed", pgettext_lazy("menu status", "Closed")

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="menus", verbose_name=_("provider")
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"))
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    area = models.CharField(_("area"), max_length=50, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    days = models.JSONField(_("days"), default=list, blank=True)  # Weekday values
    schedule = models.CharField(_("schedule"), max_length=200, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    interests = models.JSONField(
        _("suits interests"), default=list, blank=True
    )  # free tags: パソコン, 農作業, 料理 …
    accommodations = models.JSONField(_("accommodations"), default=list, blank=True)
    eligibility = models.CharField(_("eligibility"), max_length=200, blank=True)
    cost = models.CharField(_("cost"), max_length=100, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    made_for = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="made_to_order_menus",
        verbose_name=_("made to order for"),
    )
    is_open = models.BooleanField(
        _("open to others"),
        default=True,
        help_text=_("A made-to-order menu can later be opened to others."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("menu")
        verbose_name_plural = _("menus")
        ordering = ["name", "pk"]
        indexes = [
            # Catalogue: WHERE municipality_id = %s AND status = 'active' [AND kind = %s].
            models.Index(fields=["municipality", "status", "kind"], name="menu_catalogue_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def days_display(self) -> str:
        return "・".join(str(Weekday(d).label) for d in Weekday.values if d in self.days)

    @property
    def accommodation_labels(self) -> list[str]:
        return [
            str(Accommodation(a).label) for a in Accommodation.values if a in self.accommodations
        ]


class ParticipationProfile(TenantModel):
    """What matching needs to know of a referred person: interests and constraints.
    Written by the coordinator from the referral and the first meeting."""

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="participation_profile"
    )
    interests = models.JSONField(_("interests"), default=list, blank=True)
    area = models.CharField(_("preferred area"), max_length=50, blank=True)
    days = models.JSONField(_("available days"), default=list, blank=True)
    needs = models.JSONField(_("needs"), default=list, blank=True)  # Accommodation values
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("participation profile")
        verbose_name_plural = _("participation profiles")


class Assignment(TenantModel):
    """A person (case) taking part in a menu."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", pgettext_lazy("assignment status", "Proposed")  # 提案
        TRIAL = "trial", _("Visit / trial")  # 見学・体験
        ACTIVE = "active", _("Participating")  # 参加中
        PAUSED = "paused", pgettext_lazy("assignment status", "Paused")  # 休止
        ENDED = "ended", _("Ended")  # 終了

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("case")
    )
    menu = models.ForeignKey(
        Menu, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("menu")
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("referral")
    )
    # The decided support plan applying for 参加支援 that the assignment stems from (empty
    # only on assignments made before plans were required).
    plan = models.ForeignKey(
        "cases.SupportPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("support plan"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    start_on = models.DateField(_("start"), null=True, blank=True)
    end_on = models.DateField(_("end"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("coordinator"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Statuses that take one of the menu's places.
    HOLDS_A_PLACE = (Status.TRIAL, Status.ACTIVE)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "menu"],
                condition=~Q(status="ended"),
                name="assignment_one_open_per_case_menu",
            ),
        ]
        indexes = [
            # Places in use: WHERE menu_id = %s AND status IN ('trial', 'active').
            models.Index(fields=["menu", "status"], name="assignment_menu_status_idx"),
        ]


class SessionLog(TenantModel):
    """One session: attendance and what was observed (様子)."""

    class Attendance(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        LATE = "late", _("Late / left early")

    class Concern(models.TextChoices):
        HEALTH = "health", _("Health")  # 体調
        FAMILY = "family", _("Change in the family")  # 家族の変化
        MONEY = "money", _("Money")  # 金銭
        MOTIVATION = "motivation", _("Loss of motivation")  # 意欲の低下
        RELATIONS = "relations", _("Relations with others")  # 対人関係
        OTHER = "other", _("Other")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="logs")
    held_on = models.DateField(_("date"))
    attendance = models.CharField(_("attendance"), max_length=10, choices=Attendance.choices)
    observation = models.TextField(_("what was observed"), blank=True)
    concerns = models.JSONField(_("concerns"), default=list, blank=True)
    concern_note = models.CharField(_("concern for the caseworker"), max_length=300, blank=True)
    referral = models.ForeignKey(
        Referral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referral back to consultation"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("session log")
        verbose_name_plural = _("session logs")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["assignment", "held_on"], name="sessionlog_assign_idx")]


class FollowUp(TenantModel):
    """定着支援: a check after the person has settled in, with the host's feedback."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="follow_ups")
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    host_feedback = models.TextField(_("host's feedback"), blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "pk"]
