"""アウトリーチ等を通じた継続的支援事業: the people the team tries to reach.

A target is a person or household the outreach workers try to reach — at first perhaps
known only by a description (「○○地区の60代男性、郵便物がたまっている」), named later.
Each attempt to reach them is a contact; the target moves through stages 把握 → 接触 →
関係づくり → 同意 → つなぎ / 終了, each change dated and explained. Without the person's
consent a target is held on the basis of a 支援会議 decision (法第106条の6); at 同意 it is
handed over to a case. Targets point at ``cases`` records; they never copy a person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Case, Household, Meeting, Person, SupportAgency, TenantModel


class Stage(models.TextChoices):
    FOUND = "found", pgettext_lazy("outreach stage", "Found")  # 把握
    CONTACT = "contact", pgettext_lazy("outreach stage", "First contact")  # 接触
    RELATIONSHIP = "relationship", pgettext_lazy("outreach stage", "Building trust")  # 関係づくり
    CONSENT = "consent", pgettext_lazy("outreach stage", "Consented")  # 同意
    HANDED_OVER = "handed_over", pgettext_lazy("outreach stage", "Handed over")  # つなぎ
    ENDED = "ended", pgettext_lazy("outreach stage", "Ended")  # 終了


# Stages in which the team is still working to reach the person.
ACTIVE_STAGES = (Stage.FOUND, Stage.CONTACT, Stage.RELATIONSHIP, Stage.CONSENT)
CLOSED_STAGES = (Stage.HANDED_OVER, Stage.ENDED)


class OutreachTarget(TenantModel):
    class Source(models.TextChoices):
        AGENCY = "agency", _("A support agency")  # 関係機関
        CONCERN = "concern", _("A concern from the community")  # 気づき
        MINSEI = "minsei", _("Commissioned welfare volunteer")  # 民生委員
        MEETING = "meeting", _("Support meeting")  # 支援会議
        FAMILY = "family", _("Family")  # 家族
        OTHER = "other", _("Other")

    description = models.CharField(
        _("who the team is trying to reach"),
        max_length=200,
        help_text=_("As far as known, e.g. 「○○地区の60代男性、郵便物がたまっている」"),
    )
    area = models.CharField(_("area"), max_length=100, blank=True)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach_targets",
        verbose_name=_("person"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach_targets",
        verbose_name=_("household"),
    )
    source = models.CharField(
        _("where the information came from"), max_length=10, choices=Source.choices
    )
    source_agency = models.ForeignKey(
        SupportAgency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency that told the team"),
    )
    source_note = models.CharField(_("about the source"), max_length=200, blank=True)
    # A community concern taken up as this target (a plain id: ``outreach`` may read
    # ``community``, the concern never points back).
    source_concern_id = models.BigIntegerField(null=True, blank=True, editable=False)
    # The basis for holding information about someone who has not consented: a 支援会議
    # decision (法第106条の6), with its date.
    basis_meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach_targets",
        verbose_name=_("support meeting that decided the outreach"),
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="outreach_targets",
        verbose_name=_("outreach worker responsible"),
    )
    stage = models.CharField(_("stage"), max_length=15, choices=Stage.choices, default=Stage.FOUND)
    stage_since = models.DateField(_("in this stage since"))
    found_on = models.DateField(_("found on"))  # 把握日
    cadence_days = models.PositiveSmallIntegerField(
        _("planned rhythm (days between contacts)"), default=14
    )
    # The next contact the team planned (from the latest contact, or the rhythm).
    next_contact_on = models.DateField(_("next contact planned"), null=True, blank=True)
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    # Contacts since the last one that reached the person or their family.
    failed_in_a_row = models.PositiveSmallIntegerField(default=0, editable=False)
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach_targets",
        verbose_name=_("case"),
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("outreach target")
        verbose_name_plural = _("outreach targets")
        ordering = ["next_contact_on", "pk"]
        indexes = [
            # The register and the cadence rules: WHERE municipality_id = %s AND stage IN (…).
            models.Index(
                fields=["municipality", "stage", "next_contact_on"], name="outreach_stage_idx"
            ),
            models.Index(fields=["worker", "stage"], name="outreach_worker_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(stage__in=[s.value for s in CLOSED_STAGES]),
                name="outreach_closed_only_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.person_id is not None:
            return self.person.name
        return self.description

    @property
    def is_active(self) -> bool:
        return self.stage in ACTIVE_STAGES


class StageChange(TenantModel):
    """One move of a target between stages: when and why."""

    target = models.ForeignKey(
        OutreachTarget, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(_("from"), max_length=15, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=15, choices=Stage.choices)
    changed_on = models.DateField(_("date"))
    reason = models.CharField(_("why"), max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("change of stage")
        verbose_name_plural = _("changes of stage")
        ordering = ["changed_on", "pk"]


class Contact(TenantModel):
    """One attempt to reach the target."""

    class Method(models.TextChoices):
        VISIT = "visit", _("Home visit")  # 訪問
        LETTER = "letter", _("Letter")  # 手紙
        PHONE = "phone", _("Phone call")  # 電話
        ACCOMPANY = "accompany", _("Accompanying")  # 同行
        VIA_FAMILY = "via_family", _("Through the family")  # 家族経由
        VIA_AGENCY = "via_agency", _("Through an agency")  # 関係機関経由

    class Outcome(models.TextChoices):
        MET = "met", _("Met the person")  # 会えた
        SPOKE_THROUGH_DOOR = "door", _("Spoke through the door")  # ドア越しに話せた
        FAMILY = "family", _("Talked with the family")  # 家族と話せた
        LETTER_LEFT = "letter_left", _("Left a letter")  # 手紙を置いた
        ABSENT = "absent", _("Nobody answered")  # 不在
        REFUSED = "refused", _("Refused")  # 拒否
        OTHER = "other", _("Other")

    # Outcomes that reached nobody: repeated, they call for a 支援会議.
    FAILED = (Outcome.LETTER_LEFT, Outcome.ABSENT, Outcome.REFUSED)

    target = models.ForeignKey(OutreachTarget, on_delete=models.CASCADE, related_name="contacts")
    contacted_on = models.DateField(_("date"))
    method = models.CharField(_("how"), max_length=12, choices=Method.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    observed = models.TextField(_("what was observed"), blank=True)
    next_planned_on = models.DateField(_("next contact planned"), null=True, blank=True)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outreach contact")
        verbose_name_plural = _("outreach contacts")
        ordering = ["-contacted_on", "-pk"]
        indexes = [
            models.Index(fields=["target", "contacted_on"], name="outreach_contact_idx"),
            models.Index(fields=["municipality", "contacted_on"], name="outreach_contact_day_idx"),
        ]

    @property
    def failed(self) -> bool:
        return self.outcome in self.FAILED
