"""多機関協働: support plans with their division of roles, the 重層的支援会議 and 支援会議,
and referrals between programs and agencies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models.case import Case
from cases.models.master import SupportAgency
from cases.registry import program_choices
from municipalities.scoping import TenantModel


class SupportPlan(TenantModel):
    """支援プラン: one version of a case's plan, with the items of the national form
    (多機関協働事業 プラン兼事業等利用申込書): the person's wishes in their words, the issues,
    long- and short-term goals, the division of roles with the lead agency (主担当), the
    plan period and review date, the 事業 it applies for, the household members it
    concerns and the person's agreement (the date of the signature)."""

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
    wishes = models.TextField(_("the person's wishes (in their words)"), blank=True)
    issues = models.TextField(_("issues (one per line)"), blank=True)
    long_term_goal = models.TextField(_("long-term goal"), blank=True)
    short_term_goal = models.TextField(_("short-term goal"), blank=True)
    period_from = models.DateField(_("plan period from"), null=True, blank=True)
    period_to = models.DateField(_("plan period to"), null=True, blank=True)
    members = models.ManyToManyField(
        "cases.HouseholdMember",
        blank=True,
        related_name="+",
        verbose_name=_("household members it concerns"),
    )
    agreed_on = models.DateField(
        _("the person agreed and applied on"),
        null=True,
        blank=True,
        help_text=_("The date of the person's signature on the plan (本人の同意・申込)."),
    )
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

    @property
    def issue_list(self) -> list[str]:
        return [line.strip() for line in self.issues.splitlines() if line.strip()]


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
        # 多機関協働の終結: roles are settled, the lead agency (主担当) carries on and the
        # case stays open; closing the case itself is a separate action.
        CLOSE = "close", _("Multi-agency collaboration ended")  # 終結
        SUSPEND = "suspend", _("Suspended")  # 中断
        CARRY_OVER = "carried_over", _("Carried over to a later meeting")  # 継続審議

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="case_items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="meeting_items")
    decision = models.CharField(
        _("decision"), max_length=20, choices=Decision.choices, default=Decision.DISCUSSED
    )
    plan = models.ForeignKey(
        SupportPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    # 評価: the plan's next review date the meeting set.
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    # 多機関協働の終結: the agency that carries on as the lead (主担当).
    lead_agency = models.ForeignKey(
        SupportAgency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead agency carrying on"),
    )

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


class Referral(TenantModel):
    """A hand-over from one program or agency to another. The programs are those
    declared in ``cases.registry`` (their keys are stored)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("case")
    )
    from_program = models.CharField(_("from"), max_length=20, choices=program_choices)
    from_agency = models.ForeignKey(
        SupportAgency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_program = models.CharField(_("to"), max_length=20, choices=program_choices)
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


class PlanEvaluation(TenantModel):
    """評価シート: one goal of a plan, how far it was achieved and the next step, recorded
    between plans and attached to the 重層的支援会議's 評価 of the plan when there is one."""

    class Achievement(models.TextChoices):
        # In context: the statistics' "Achieved" is a share (達成率).
        ACHIEVED = "achieved", pgettext_lazy("goal", "Achieved")  # 達成
        PARTLY = "partly", _("Partly achieved")  # 一部達成
        NOT = "not", _("Not achieved")  # 未達成

    plan = models.ForeignKey(
        SupportPlan, on_delete=models.CASCADE, related_name="evaluations", verbose_name=_("plan")
    )
    review = models.ForeignKey(
        MeetingCase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("review at the meeting"),
    )
    evaluated_on = models.DateField(_("evaluated on"))
    goal = models.CharField(_("goal"), max_length=300)
    achievement = models.CharField(_("achievement"), max_length=10, choices=Achievement.choices)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan evaluation")
        verbose_name_plural = _("plan evaluations")
        ordering = ["-evaluated_on", "pk"]
