"""Community building (地域づくりに向けた支援事業): places and activities where people
belong, activity records (numbers, not names), platform sessions where government,
companies, NPOs and residents meet, and residents' concerns (気づき) that bring a
person to consultation early. Concerns point at ``cases`` once taken up."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Case, Person, TenantModel


class TargetGroup(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    CHILDREN = "children", _("Children")
    FAMILIES = "families", _("Families with children")
    YOUTH = "youth", _("Young people")
    ELDERLY = "elderly", _("Elderly people")
    DISABILITY = "disability", _("People with disabilities")
    DEMENTIA = "dementia", _("People with dementia and carers")


class Place(TenantModel):
    """A place or activity where people belong (居場所, サロン, 子ども食堂 …)."""

    class Kind(models.TextChoices):
        PLACE = "place", _("Place to belong")  # 居場所
        SALON = "salon", _("Salon")  # サロン
        CHILDREN_CAFETERIA = "children_cafeteria", _("Children's cafeteria")  # 子ども食堂
        GATHERING = "gathering", _("Gathering place for the elderly")  # 通いの場
        DEMENTIA_CAFE = "dementia_cafe", _("Dementia café")  # 認知症カフェ
        ACTIVITY = "activity", _("Community activity")  # 地域活動
        OTHER = "other", _("Other")

    class OrganiserKind(models.TextChoices):
        RESIDENTS = "residents", _("Residents' group")
        NPO = "npo", _("NPO")
        COMPANY = "company", _("Company")
        SWC = "swc", _("Social welfare council")
        MUNICIPALITY = "municipality", _("Municipality")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    organiser = models.CharField(_("organiser"), max_length=100)
    organiser_kind = models.CharField(
        _("kind of organiser"), max_length=20, choices=OrganiserKind.choices
    )
    area = models.CharField(_("area"), max_length=50)
    address = models.CharField(_("address"), max_length=200, blank=True)
    schedule = models.CharField(_("schedule"), max_length=200, blank=True)
    target_groups = models.JSONField(_("for whom"), default=list, blank=True)
    accessibility = models.CharField(_("accessibility"), max_length=200, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("place or activity")
        verbose_name_plural = _("places and activities")
        ordering = ["area", "name"]
        indexes = [
            # Register: WHERE municipality_id = %s [AND area = %s] ORDER BY area, name.
            models.Index(fields=["municipality", "area", "name"], name="place_register_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def target_labels(self) -> list[str]:
        return [str(TargetGroup(t).label) for t in TargetGroup.values if t in self.target_groups]


class ActivityRecord(TenantModel):
    """One day of a place or activity: how many took part (numbers, not names)."""

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="records")
    held_on = models.DateField(_("date"))
    participants = models.PositiveIntegerField(_("participants"))
    volunteers = models.PositiveIntegerField(_("volunteers and staff"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("activity record")
        verbose_name_plural = _("activity records")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["place", "held_on"], name="activity_once_per_day"),
        ]


class Sector(models.TextChoices):
    GOVERNMENT = "government", _("Government")  # 行政
    COMPANY = "company", _("Companies")  # 企業
    NPO = "npo", _("NPOs")  # NPO
    RESIDENTS = "residents", _("Residents")  # 住民
    SWC = "swc", _("Social welfare council")  # 社協
    WELFARE = "welfare", _("Welfare services")  # 福祉事業者
    SCHOOL = "school", _("Schools")  # 学校
    OTHER = "other", _("Others")


class PlatformSession(TenantModel):
    """プラットフォーム: a meeting where sectors meet and learn from each other."""

    held_on = models.DateField(_("date"))
    theme = models.CharField(_("theme"), max_length=200)
    attendance = models.JSONField(
        _("attendance by sector"), default=dict, blank=True
    )  # {"company": 3, …}
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("platform session")
        verbose_name_plural = _("platform sessions")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.theme}"

    @property
    def total_attendance(self) -> int:
        return sum(int(v) for v in self.attendance.values())

    @property
    def attendance_by_sector(self) -> list[tuple[str, int]]:
        return [(str(Sector(k).label), int(v)) for k, v in self.attendance.items() if int(v)]


class SessionOrganisation(TenantModel):
    """An organisation that took part in a platform session (参加機関), by name: the
    statistics count distinct organisations over the period, not heads per session."""

    session = models.ForeignKey(
        PlatformSession, on_delete=models.CASCADE, related_name="organisations"
    )
    name = models.CharField(_("organisation"), max_length=100)

    class Meta:
        verbose_name = _("participating organisation")
        verbose_name_plural = _("participating organisations")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "name"], name="session_organisation_once"),
        ]
        indexes = [
            # 参加機関数: WHERE municipality_id = %s … COUNT(DISTINCT name).
            models.Index(fields=["municipality", "name"], name="session_org_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Outcome(TenantModel):
    """What a platform session produced."""

    class Kind(models.TextChoices):
        NEW_RESOURCE = "new_resource", _("New resource")  # 新たな社会資源
        NEW_COLLABORATION = "new_collaboration", _("New collaboration")  # 新たな連携
        ISSUE_RAISED = "issue_raised", _("Issue raised")  # 課題の提起

    session = models.ForeignKey(PlatformSession, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"))
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)
    # Set when the new resource became a participation provider (and menu).
    provider = models.ForeignKey(
        "participation.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provider"),
    )
    menu = models.ForeignKey(
        "participation.Menu",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("menu"),
    )

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        ordering = ["pk"]


class Concern(TenantModel):
    """気づき: what a resident, 民生委員 or volunteer noticed about someone.

    It may name a person not yet in the system. Caseworkers take it up by linking it to
    a case; the reporter sees only that it was received and taken up."""

    class Reporter(models.TextChoices):
        MINSEI = "minsei", _("Commissioned welfare volunteer")  # 民生委員・児童委員
        RESIDENT = "resident", _("Resident")  # 住民
        VOLUNTEER = "volunteer", _("Volunteer")  # ボランティア
        SHOP = "shop", _("Shop or business")  # 商店・事業者
        SCHOOL = "school", _("School")  # 学校
        PLACE = "place", _("Staff of a place")  # 居場所の運営者
        OTHER = "other", _("Other")

    class Urgency(models.TextChoices):
        URGENT = "urgent", _("Urgent (today)")
        SOON = "soon", _("Soon (within days)")
        NORMAL = "normal", _("When possible")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        TAKEN_UP = "taken_up", _("Taken up by consultation")
        NO_ACTION = "no_action", _("Closed without a case")
        OUTREACH = "outreach", _("Taken up by outreach")  # アウトリーチの対象に

    URGENCY_ORDER = {Urgency.URGENT: 0, Urgency.SOON: 1, Urgency.NORMAL: 2}

    reporter_kind = models.CharField(_("who noticed"), max_length=20, choices=Reporter.choices)
    reporter_name = models.CharField(_("reporter's name"), max_length=100, blank=True)
    reporter_contact = models.CharField(_("reporter's contact"), max_length=100, blank=True)
    subject_name = models.CharField(_("name of the person"), max_length=100, blank=True)
    subject_kana = models.CharField(_("reading"), max_length=100, blank=True)
    subject_area = models.CharField(_("where the person lives"), max_length=200, blank=True)
    how_to_reach = models.CharField(_("how to reach the person"), max_length=200, blank=True)
    observation = models.TextField(_("what was noticed"))
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    urgency_rank = models.PositiveSmallIntegerField(editable=False, default=2)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="concerns"
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="concerns"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_concerns"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    closing_note = models.CharField(_("note on closing"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("community", "concern")
        verbose_name_plural = pgettext_lazy("community", "concerns")
        ordering = ["urgency_rank", "created_at"]
        indexes = [
            # Intake queue: WHERE municipality_id = %s AND status = 'received'
            # ORDER BY urgency_rank, created_at.
            models.Index(
                fields=["municipality", "urgency_rank", "created_at"],
                condition=Q(status="received"),
                name="concern_queue_idx",
            ),
        ]

    def save(self, *args, **kwargs) -> None:
        self.urgency_rank = self.URGENCY_ORDER.get(self.urgency, 2)
        super().save(*args, **kwargs)


class CasePlace(TenantModel):
    """A case's person now goes to a place or activity (consultation → community)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="places")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="case_links")
    since = models.DateField(_("since"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("case linked to a place")
        verbose_name_plural = _("cases linked to places")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "place"],
                condition=Q(ended_on__isnull=True),
                name="caseplace_once_open",
            ),
        ]
