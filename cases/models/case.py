"""The case (支援の一件) and what is recorded on it: issues, consultations, consent and
its append-only history."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.master import ConsultationMethod, ContactRoute, IssueCategory, SupportAgency
from cases.models.people import Household, Person
from municipalities.scoping import TenantModel


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
    # 主担当機関: the agency that carries the case. The other agencies on it (関係機関) are
    # ``agencies``. Their staff see the case (need to know, ``cases.core.queries``).
    lead_agency = models.ForeignKey(
        SupportAgency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_cases",
        verbose_name=_("lead agency"),
        db_index=False,  # case_lead_agency_idx (lead_agency, id) serves it
    )
    agencies = models.ManyToManyField(
        SupportAgency,
        through="CaseAgency",
        blank=True,
        related_name="cases",
        verbose_name=_("agencies involved"),
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
            # Need to know: the ids of the cases an agency leads, read from the index alone.
            models.Index(fields=["lead_agency", "id"], name="case_lead_agency_idx"),
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


class CaseAgency(TenantModel):
    """An agency involved in a case (関係機関), and the member of its staff who works the
    case there (the lead agency's is ``Case.assigned_to``)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="agency_links", verbose_name=_("case")
    )
    agency = models.ForeignKey(
        SupportAgency,
        on_delete=models.PROTECT,
        related_name="case_links",
        verbose_name=_("agency"),
        db_index=False,  # case_agency_agency_idx (agency, case) serves it
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agency_case_links",
        verbose_name=_("staff in charge"),
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("agency on a case")
        verbose_name_plural = _("agencies on cases")
        constraints = [
            models.UniqueConstraint(fields=["case", "agency"], name="case_agency_unique"),
        ]
        indexes = [
            # Need to know: WHERE agency_id IN (the user's agency) → case ids.
            models.Index(fields=["agency", "case"], name="case_agency_agency_idx"),
            # An agency caseworker's own cases on the dashboard.
            models.Index(
                fields=["assigned_to"],
                condition=Q(assigned_to__isnull=False),
                name="case_agency_assignee_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.agency_id}"


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


class EmergencyAccess(TenantModel):
    """緊急時の閲覧: a caseworker opened a case their agency is not on, to protect the
    life or body of a person (個人情報保護法 第27条第1項第2号), with a written reason. It
    lasts a day, is audited and waits on the office's dashboard until a manager has
    looked at it."""

    HOURS = 24

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="emergency_looks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("emergency look")
        verbose_name_plural = _("emergency looks")
        indexes = [
            # Visibility: the user's looks still in force.
            models.Index(fields=["user", "expires_at"], name="emergency_user_expiry_idx"),
            # The office's dashboard: looks not yet reviewed.
            models.Index(
                fields=["municipality", "granted_at"],
                name="emergency_unreviewed_idx",
                condition=Q(reviewed_at__isnull=True),
            ),
        ]
