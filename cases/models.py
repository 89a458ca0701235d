"""The cross-program case model: persons, households, cases and everything recorded
about them. Participation and community records point here; they never copy
personal data.

Every row carries ``municipality`` and uses ``TenantQuerySet``; pages and the API
reach these rows only through ``cases.queries``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.text import search_key
from municipalities.models import Municipality
from municipalities.scoping import TenantQuerySet


class TenantModel(models.Model):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


# --- Master data ---------------------------------------------------------------------


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
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "ja").startswith("en"):
            return self.name_en
        return self.name

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

    class Meta:
        verbose_name = _("support agency")
        verbose_name_plural = _("support agencies")
        ordering = ["field", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="agency_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


# --- People ------------------------------------------------------------------------


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
        if self.birth_date is None:
            return None
        day = day or timezone.localdate()
        b = self.birth_date
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


# --- Cases -------------------------------------------------------------------------


class Case(TenantModel):
    """One support episode for a person (and their household)."""

    class Status(models.TextChoices):
        INTAKE = "intake", _("Intake")  # 受付
        ASSESSMENT = "assessment", _("Assessment")  # アセスメント
        PLANNING = "planning", _("Planning")  # プラン作成
        SUPPORT = "support", _("In support")  # 支援中
        MONITORING = "monitoring", _("Monitoring")  # モニタリング
        CLOSED = "closed", _("Closed")  # 終結

    number = models.CharField(_("case number"), max_length=20)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="cases", verbose_name=_("person")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("household"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.INTAKE
    )
    route = models.ForeignKey(
        ContactRoute, on_delete=models.PROTECT, related_name="+", verbose_name=_("route")
    )
    categories = models.ManyToManyField(
        IssueCategory, through="CaseCategory", related_name="+", verbose_name=_("issues")
    )
    agencies = models.ManyToManyField(
        SupportAgency, blank=True, related_name="cases", verbose_name=_("agencies involved")
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("caseworker"),
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)
    is_sensitive = models.BooleanField(
        _("sensitive (DV, abuse)"),
        default=False,
        help_text=_("Address and contact must not be disclosed to anyone looking for the person."),
    )
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
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "number"], name="case_unique_number"),
        ]
        indexes = [
            # Dashboard "my open cases": WHERE municipality_id = %s AND assigned_to_id = %s
            # AND status <> 'closed'.
            models.Index(
                fields=["municipality", "assigned_to", "status"], name="case_muni_assignee_idx"
            ),
            # Statistics and lists by status.
            models.Index(fields=["municipality", "status"], name="case_muni_status_idx"),
            # Retention scan: WHERE municipality_id = %s AND status = 'closed'
            # AND anonymised_at IS NULL AND closed_on < cutoff.
            models.Index(
                fields=["municipality", "closed_on"],
                condition=Q(anonymised_at__isnull=True),
                name="case_retention_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class CaseCategory(TenantModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_categories")
    category = models.ForeignKey(IssueCategory, on_delete=models.PROTECT, related_name="+")
    is_primary = models.BooleanField(_("most pressing"), default=False)  # ◎

    class Meta:
        verbose_name = _("issue of a case")
        verbose_name_plural = _("issues of cases")
        constraints = [
            models.UniqueConstraint(fields=["case", "category"], name="casecategory_once"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(is_primary=True), name="casecategory_one_primary"
            ),
        ]


class Consultation(TenantModel):
    """One contact: the note a caseworker types."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="consultations", verbose_name=_("case")
    )
    occurred_at = models.DateTimeField(_("date and time"))
    method = models.ForeignKey(
        ConsultationMethod, on_delete=models.PROTECT, related_name="+", verbose_name=_("method")
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("staff"),
    )
    summary = models.TextField(_("summary"))
    visitor_name = models.CharField(_("visitor's name"), max_length=100, blank=True)
    visitor_relationship = models.CharField(_("visitor's relationship"), max_length=50, blank=True)
    visitor_phone = models.CharField(_("visitor's phone"), max_length=30, blank=True)
    follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(_("follow-up done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # Optimistic locking: every amendment bumps it; one based on an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            # Case timeline: WHERE case_id = %s ORDER BY occurred_at.
            models.Index(fields=["case", "occurred_at"], name="consultation_case_time_idx"),
            # Dashboard follow-ups due: WHERE municipality_id = %s AND follow_up_on <= today
            # AND follow_up_done_at IS NULL.
            models.Index(
                fields=["municipality", "follow_up_on"],
                condition=Q(follow_up_done_at__isnull=True, deleted_at__isnull=True),
                name="consultation_followup_idx",
            ),
        ]


class Consent(TenantModel):
    """The person's consent to share information with named agencies."""

    class Method(models.TextChoices):
        SIGNATURE = "signature", _("Signed form")
        ORAL = "oral", _("Oral, with a witness")
        OTHER = "other", _("Other")

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", _("Consent of the person")  # 本人同意
        JOINT_USE = "joint_use", _("Joint use under the privacy law")  # 共同利用
        LAW = "law", _("Provided for by law")  # 法令に基づく

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="consents", verbose_name=_("person")
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
        verbose_name=_("case"),
        help_text=_("Empty: covers all of the person's cases."),
    )
    agencies = models.ManyToManyField(
        SupportAgency, blank=True, related_name="consents", verbose_name=_("agencies")
    )
    purpose = models.CharField(_("purpose"), max_length=200)
    scope = models.CharField(_("information shared"), max_length=200)
    covers_multiagency_meeting = models.BooleanField(
        _("covers the multi-agency support meeting"), default=True
    )
    legal_basis = models.CharField(
        _("legal basis"), max_length=20, choices=LegalBasis.choices, default=LegalBasis.CONSENT
    )
    method = models.CharField(_("how it was given"), max_length=20, choices=Method.choices)
    witness = models.CharField(_("witness"), max_length=100, blank=True)
    rules_explained = models.BooleanField(_("handling rules explained"), default=False)
    given_on = models.DateField(_("given on"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_note = models.CharField(_("withdrawal note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_on", "-pk"]

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.given_on <= day and (self.withdrawn_on is None or self.withdrawn_on > day)


class SupportPlan(TenantModel):
    """支援プラン: one version of a case's plan."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")  # 作成中
        DECIDED = "decided", _("Support decided")  # 支援決定
        CLOSED = "closed", _("Closed")  # 終結
        SUSPENDED = "suspended", _("Suspended")  # 中断
        SUPERSEDED = "superseded", _("Superseded by a new version")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="plans", verbose_name=_("case")
    )
    version = models.PositiveSmallIntegerField(_("version"))
    created_on = models.DateField(_("created on"))
    goals = models.TextField(_("goals and direction of support"))
    uses_participation = models.BooleanField(_("uses participation support"), default=False)
    uses_outreach = models.BooleanField(_("uses outreach"), default=False)
    review_on = models.DateField(_("next review"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    decided_at_meeting = models.ForeignKey(
        "Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_plans",
        verbose_name=_("decided at"),
    )
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    lead_agency = models.ForeignKey(
        SupportAgency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead agency"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("support plan")
        verbose_name_plural = _("support plans")
        ordering = ["case", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="plan_unique_version"),
        ]
        indexes = [
            # Plan review due: WHERE municipality_id = %s AND status = 'decided' AND review_on < …
            models.Index(fields=["municipality", "status", "review_on"], name="plan_review_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} v{self.version}"


class PlanAction(TenantModel):
    """役割分担: what one agency (or the consultation team) does under a plan."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="actions")
    agency = models.ForeignKey(
        SupportAgency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency"),
        help_text=_("Empty: the consultation support team."),
    )
    action = models.CharField(_("action"), max_length=300)

    class Meta:
        verbose_name = _("plan action")
        verbose_name_plural = _("plan actions")
        ordering = ["pk"]


class Meeting(TenantModel):
    class Kind(models.TextChoices):
        MULTIAGENCY = "multiagency", _("Multi-agency support meeting")  # 重層的支援会議
        SUPPORT = "support", _("Support meeting (art. 106-6)")  # 支援会議

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    held_on = models.DateField(_("held on"))
    title = models.CharField(_("title"), max_length=100)
    notes = models.TextField(_("minutes"), blank=True)
    cases = models.ManyToManyField(
        Case, through="MeetingCase", related_name="meetings", verbose_name=_("cases")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.title}"


class MeetingCase(TenantModel):
    """A case taken up at a meeting, and what was decided for it."""

    class Decision(models.TextChoices):
        DISCUSSED = "discussed", _("Discussed")  # 協議
        DECIDE_PLAN = "decide", _("Plan approved (support decided)")  # 支援決定
        REVIEWED = "reviewed", _("Progress reviewed")  # 評価
        CLOSE = "close", _("Closed")  # 終結
        SUSPEND = "suspend", _("Suspended")  # 中断

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="case_items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="meeting_items")
    decision = models.CharField(
        _("decision"), max_length=20, choices=Decision.choices, default=Decision.DISCUSSED
    )
    plan = models.ForeignKey(
        SupportPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("case at a meeting")
        verbose_name_plural = _("cases at meetings")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "case"], name="meetingcase_once"),
        ]


class MeetingAttendee(TenantModel):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    name = models.CharField(_("name"), max_length=100)
    organisation = models.CharField(_("organisation"), max_length=100)
    agency = models.ForeignKey(
        SupportAgency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    secrecy_acknowledged = models.BooleanField(_("acknowledged the duty of secrecy"), default=False)

    class Meta:
        verbose_name = _("meeting attendee")
        verbose_name_plural = _("meeting attendees")
        ordering = ["pk"]


class Program(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation support")  # 包括的相談支援
    PARTICIPATION = "participation", _("Participation support")  # 参加支援
    COMMUNITY = "community", _("Community building")  # 地域づくり
    AGENCY = "agency", _("Support agency")  # 支援関係機関


class Referral(TenantModel):
    """A hand-over from one program or agency to another."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("case")
    )
    from_program = models.CharField(_("from"), max_length=20, choices=Program.choices)
    from_agency = models.ForeignKey(
        SupportAgency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_program = models.CharField(_("to"), max_length=20, choices=Program.choices)
    to_agency = models.ForeignKey(
        SupportAgency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("receiving agency"),
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    acknowledge_by = models.DateField(_("acknowledge by"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    response_note = models.CharField(_("response note"), max_length=300, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # Inbox of a program: WHERE municipality_id = %s AND to_program = %s AND status = …
            models.Index(
                fields=["municipality", "to_program", "status"], name="referral_inbox_idx"
            ),
        ]


class CaseEvent(TenantModel):
    """Append-only history of a case, written by every service that changes it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=40)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["case", "at"], name="caseevent_case_at_idx"),
            # Statistics, status at the end of a period: per case, the last status change
            # before a moment (WHERE case_id = %s AND kind = 'status_changed' AND at < %s
            # ORDER BY at DESC, id DESC LIMIT 1), without reading or sorting its other events.
            models.Index(
                fields=["case", "at", "id"],
                condition=Q(kind="status_changed"),
                name="caseevent_status_idx",
            ),
        ]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("case events are append-only")
        super().save(*args, **kwargs)


class Flag(TenantModel):
    """A suggestion to a person, raised by a referral rule: never an automatic
    transfer. One unresolved flag per (rule, subject); when the rule's condition stops
    holding the engine resolves it, whatever people did with it."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        SNOOZED = "snoozed", _("Snoozed")
        REFERRED = "referred", _("Turned into a referral")
        DISMISSED = "dismissed", _("Dismissed")

    class Subject(models.TextChoices):
        CASE = "case", _("Case")
        CONCERN = "concern", _("Concern")
        REFERRAL = "referral", _("Referral")

    rule = models.CharField(_("rule"), max_length=40)
    subject_type = models.CharField(max_length=10, choices=Subject.choices)
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
            # flag (neither set) adds no entry; the first scan raises 1.2 million flags
            # at 1,000,000 cases.
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
        from cases.rules import get_rule

        rule = get_rule(self.rule)
        return str(rule.title) if rule else self.rule


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
