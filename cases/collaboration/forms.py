"""Forms of 多機関協働: plan, meeting, referral and its answer, agency."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.core.forms import TenantFormMixin
from cases.models import Meeting, MeetingCase, SupportAgency
from cases.registry import programs
from municipalities.models import Organisation
from portal.forms import DateInput, clean_text_fields

PLAN_ACTION_ROWS = 5


class PlanForm(TenantFormMixin, forms.Form):
    goals = forms.CharField(
        label=_("Goals and direction of support"), widget=forms.Textarea(attrs={"rows": 5})
    )
    review_on = forms.DateField(label=_("Next review"), widget=DateInput())
    uses_participation = forms.BooleanField(label=_("Uses participation support"), required=False)
    uses_outreach = forms.BooleanField(label=_("Uses outreach"), required=False)
    lead_agency = forms.ModelChoiceField(
        label=_("Lead agency"), required=False, queryset=SupportAgency.objects.none()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


ATTENDEE_ROWS = 8


class MeetingForm(TenantFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=Meeting.Kind.choices)
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    notes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    case_numbers = forms.CharField(
        label=_("Cases on the agenda, one per line"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "A case number (2026-00012, or just 12) or the person's name; or choose them "
            "below as you type."
        ),
    )
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=MeetingCase.Decision.choices,
        initial=MeetingCase.Decision.DISCUSSED,
    )
    decision_note = forms.CharField(label=_("Note on the decision"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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

    def attendee_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (
                self[f"attendee_{i}_name"],
                self[f"attendee_{i}_organisation"],
                self[f"attendee_{i}_secrecy"],
            )
            for i in range(ATTENDEE_ROWS)
        ]

    def case_number_list(self) -> list[str]:
        """One case per line (or separated by commas): a number, a sequence, a name."""
        raw = self.cleaned_data.get("case_numbers", "")
        return [
            n.strip() for n in raw.replace(",", "\n").replace("、", "\n").splitlines() if n.strip()
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        for i in range(ATTENDEE_ROWS):
            name = cleaned.get(f"attendee_{i}_name", "")
            org = cleaned.get(f"attendee_{i}_organisation", "")
            if org and not name:
                self.add_error(f"attendee_{i}_name", _("Enter the attendee's name."))
        return cleaned


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
