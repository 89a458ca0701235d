"""Forms of 多機関協働: plan, meeting, referral and its answer, agency."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.core.forms import TenantFormMixin
from cases.models import HouseholdMember, Meeting, MeetingCase, PlanEvaluation, SupportAgency
from cases.registry import programs
from municipalities.models import Organisation
from portal.forms import DateInput, clean_text_fields

PLAN_ACTION_ROWS = 5


class PlanForm(TenantFormMixin, forms.Form):
    """The plan as the national form (プラン兼事業等利用申込書) has it."""

    wishes = forms.CharField(
        label=_("The person's wishes (in their words)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    issues = forms.CharField(
        label=_("Issues (one per line)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    goals = forms.CharField(
        label=_("Goals and direction of support"), widget=forms.Textarea(attrs={"rows": 4})
    )
    long_term_goal = forms.CharField(
        label=_("Long-term goal"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    short_term_goal = forms.CharField(
        label=_("Short-term goal"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    period_from = forms.DateField(label=_("Plan period from"), required=False, widget=DateInput())
    period_to = forms.DateField(label=_("Plan period to"), required=False, widget=DateInput())
    review_on = forms.DateField(label=_("Next review"), widget=DateInput())
    members = forms.ModelMultipleChoiceField(
        label=_("Household members it concerns"),
        queryset=HouseholdMember.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    agreed_on = forms.DateField(
        label=_("The person agreed and applied on"),
        required=False,
        widget=DateInput(),
        help_text=_("The date of the person's signature on the plan (本人の同意・申込)."),
    )
    uses_participation = forms.BooleanField(label=_("Uses participation support"), required=False)
    uses_outreach = forms.BooleanField(label=_("Uses outreach"), required=False)
    lead_agency = forms.ModelChoiceField(
        label=_("Lead agency"), required=False, queryset=SupportAgency.objects.none()
    )

    def __init__(self, *args: Any, household_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = HouseholdMember.objects.filter(
            household_id=household_id, left_at__isnull=True
        ).select_related("person")
        self.fields["members"].label_from_instance = lambda m: (
            f"{m.person.name}（{m.get_relationship_display()}）"
        )
        agencies = SupportAgency.objects.filter(
            municipality_id=self.municipality_id, is_active=True
        )
        for i in range(PLAN_ACTION_ROWS):
            self.fields[f"action_{i}_agency"] = forms.ModelChoiceField(
                label=_("Who"),
                queryset=agencies,
                required=False,
                empty_label=_("Consultation support team"),
            )
            self.fields[f"action_{i}_text"] = forms.CharField(
                label=_("Action"), max_length=300, required=False
            )

    def action_rows(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"action_{i}_agency"], self[f"action_{i}_text"]) for i in range(PLAN_ACTION_ROWS)
        ]

    def actions(self) -> list[tuple[SupportAgency | None, str]]:
        return [
            (
                self.cleaned_data.get(f"action_{i}_agency"),
                self.cleaned_data.get(f"action_{i}_text", ""),
            )
            for i in range(PLAN_ACTION_ROWS)
        ]

    def items(self) -> dict[str, Any]:
        """The national form's items, for ``plans.PlanItems``."""
        names = ("wishes", "issues", "long_term_goal", "short_term_goal", "period_from")
        return {
            **{name: self.cleaned_data[name] for name in names},
            "period_to": self.cleaned_data["period_to"],
            "members": list(self.cleaned_data["members"]),
            "agreed_on": self.cleaned_data["agreed_on"],
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


EVALUATION_ROWS = 5


class PlanEvaluationForm(forms.Form):
    """評価シート: goal by goal, how far it was achieved and the next step."""

    evaluated_on = forms.DateField(label=_("Evaluated on"), widget=DateInput())
    review = forms.ChoiceField(label=_("Review at the meeting"), required=False)

    def __init__(self, *args: Any, reviews: Sequence[MeetingCase] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reviews = {str(r.pk): r for r in reviews}
        self.fields["review"].choices = [
            ("", _("Not attached to a meeting")),
            *((str(r.pk), str(r.meeting)) for r in reviews),
        ]
        for i in range(EVALUATION_ROWS):
            self.fields[f"goal_{i}"] = forms.CharField(
                label=_("Goal"), max_length=300, required=False
            )
            self.fields[f"achievement_{i}"] = forms.ChoiceField(
                label=_("Achievement"),
                choices=[("", "---------"), *PlanEvaluation.Achievement.choices],
                required=False,
            )
            self.fields[f"next_step_{i}"] = forms.CharField(
                label=_("Next step"), max_length=300, required=False
            )

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"goal_{i}"], self[f"achievement_{i}"], self[f"next_step_{i}"])
            for i in range(EVALUATION_ROWS)
        ]

    def entries(self) -> list[tuple[str, str, str]]:
        return [
            (
                self.cleaned_data[f"goal_{i}"],
                self.cleaned_data[f"achievement_{i}"],
                self.cleaned_data[f"next_step_{i}"],
            )
            for i in range(EVALUATION_ROWS)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        for i in range(EVALUATION_ROWS):
            if cleaned.get(f"goal_{i}") and not cleaned.get(f"achievement_{i}"):
                self.add_error(f"achievement_{i}", _("Say how far this goal was achieved."))
        return cleaned


ATTENDEE_ROWS = 8
# Cases on one meeting's agenda, each with its own decision.
AGENDA_ROWS = 6


class MeetingForm(TenantFormMixin, forms.Form):
    """A meeting, its attendees and its agenda: one row per case with that case's
    decision (支援決定, 評価 with the next review date, 多機関協働の終結 with the lead agency
    carrying on, 中断, 継続審議), all saved in one submit."""

    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=Meeting.Kind.choices)
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    notes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )

    def __init__(self, *args: Any, agencies: Sequence[SupportAgency] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read once by the view: every row offers the same agencies.
        self.agencies = {str(a.pk): a for a in agencies}
        agency_choices = [("", "---------"), *((str(a.pk), a.name) for a in agencies)]
        for i in range(AGENDA_ROWS):
            self.fields[f"item_{i}_case"] = forms.CharField(
                label=_("Case"),
                max_length=100,
                required=False,
                help_text=_("A case number (2026-00012, or just 12) or the person's name."),
            )
            self.fields[f"item_{i}_decision"] = forms.ChoiceField(
                label=_("Decision"),
                choices=MeetingCase.Decision.choices,
                initial=MeetingCase.Decision.DISCUSSED,
                required=False,  # an empty row
            )
            self.fields[f"item_{i}_review_on"] = forms.DateField(
                label=_("Next review (review)"), required=False, widget=DateInput()
            )
            self.fields[f"item_{i}_lead_agency"] = forms.ChoiceField(
                label=_("Lead agency carrying on (end of collaboration)"),
                choices=agency_choices,
                required=False,
            )
            self.fields[f"item_{i}_note"] = forms.CharField(
                label=_("Note on the decision"), max_length=300, required=False
            )
        for i in range(ATTENDEE_ROWS):
            # Offered as typed: the municipality's staff and its agencies (an agency's
            # exact name makes the attendee that agency's, for the consent check).
            self.fields[f"attendee_{i}_name"] = forms.CharField(
                label=_("Name"),
                max_length=100,
                required=False,
                widget=forms.TextInput(attrs={"list": "attendee-names", "autocomplete": "off"}),
            )
            self.fields[f"attendee_{i}_organisation"] = forms.CharField(
                label=_("Organisation"),
                max_length=100,
                required=False,
                widget=forms.TextInput(
                    attrs={"list": "attendee-organisations", "autocomplete": "off"}
                ),
            )
            self.fields[f"attendee_{i}_secrecy"] = forms.BooleanField(
                label=_("Acknowledged the duty of secrecy"), required=False
            )

    def agenda_rows(self) -> list[dict[str, Any]]:
        return [
            {
                name: self[f"item_{i}_{name}"]
                for name in ("case", "decision", "review_on", "lead_agency", "note")
            }
            for i in range(AGENDA_ROWS)
        ]

    def attendee_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (
                self[f"attendee_{i}_name"],
                self[f"attendee_{i}_organisation"],
                self[f"attendee_{i}_secrecy"],
            )
            for i in range(ATTENDEE_ROWS)
        ]

    def agenda(self) -> list[tuple[int, str, dict[str, Any]]]:
        """(row, case reference, the row's decision fields) of each row naming a case."""
        rows = []
        for i in range(AGENDA_ROWS):
            reference = self.cleaned_data.get(f"item_{i}_case", "")
            if reference:
                rows.append(
                    (
                        i,
                        reference,
                        {
                            "decision": self.cleaned_data.get(f"item_{i}_decision")
                            or MeetingCase.Decision.DISCUSSED,
                            "next_review_on": self.cleaned_data.get(f"item_{i}_review_on"),
                            "lead_agency": self.agencies.get(
                                self.cleaned_data.get(f"item_{i}_lead_agency", "")
                            ),
                            "note": self.cleaned_data.get(f"item_{i}_note", ""),
                        },
                    )
                )
        return rows

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        for i in range(ATTENDEE_ROWS):
            name = cleaned.get(f"attendee_{i}_name", "")
            org = cleaned.get(f"attendee_{i}_organisation", "")
            if org and not name:
                self.add_error(f"attendee_{i}_name", _("Enter the attendee's name."))
        self._clean_agenda(cleaned)
        return cleaned

    def _clean_agenda(self, cleaned: dict[str, Any]) -> None:
        """A decision belongs to a case on the agenda; at least one case is."""
        named = 0
        for i in range(AGENDA_ROWS):
            if cleaned.get(f"item_{i}_case"):
                named += 1
                continue
            decided = cleaned.get(f"item_{i}_decision") not in (
                None,
                "",
                MeetingCase.Decision.DISCUSSED,
            )
            details = any(
                cleaned.get(f"item_{i}_{n}") for n in ("review_on", "lead_agency", "note")
            )
            if decided or details:
                self.add_error(f"item_{i}_case", _("Choose the case this decision is for."))
        if not named and "item_0_case" not in self.errors:
            self.add_error("item_0_case", _("Choose at least one case."))


def referable_programs() -> list[tuple[str, Any]]:
    """Where a caseworker can refer a case: every program that takes referrals."""
    return [(p.key, p.label) for p in programs() if p.referable]


class ReferralForm(TenantFormMixin, forms.Form):
    to_program = forms.ChoiceField(
        label=_("Refer to"),
        choices=referable_programs,
    )
    to_agency = forms.ModelChoiceField(
        label=_("Receiving agency"), required=False, queryset=SupportAgency.objects.none()
    )
    reason = forms.CharField(
        label=_("Reason and what is asked"), widget=forms.Textarea(attrs={"rows": 4})
    )
    acknowledge_within_days = forms.IntegerField(
        label=_("Acknowledge within (days)"), min_value=1, max_value=30, initial=3
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class ReferralResponseForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline")), ("complete", _("Completed"))]
    )
    note = forms.CharField(label=_("Note (required to decline)"), max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class AgencyForm(forms.ModelForm):
    class Meta:
        model = SupportAgency
        fields = ["name", "field", "kind", "contact", "organisation"]
        help_texts = {
            "organisation": _(
                "The organisation (direct or contracted) whose staff work in this agency "
                "and log in to the portal. Empty: its answers are recorded by a caseworker."
            )
        }

    def __init__(self, *args: Any, municipality_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Organisations of the municipality not yet running an agency.
        self.fields["organisation"].queryset = Organisation.objects.filter(
            municipality_id=municipality_id, agency__isnull=True
        ).order_by("name")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned
