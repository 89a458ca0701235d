"""Forms of the caseworker's workspace. Labels are Japanese through i18n; the rules
themselves live in ``cases.services``."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Case,
    Consent,
    ConsultationMethod,
    ContactRoute,
    Field,
    IssueCategory,
    Meeting,
    MeetingCase,
    Person,
    Program,
    Relationship,
    SupportAgency,
)
from cases.services import CaseRuleError, check_birth_date
from cases.text import is_kana_reading, kana_reading
from municipalities.models import Role, User
from portal.forms import CleanTextMixin, clean_text_fields


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class TenantFormMixin:
    """Limit choice fields to the user's municipality (and national master data)."""

    def __init__(self, *args: Any, municipality_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality_id = municipality_id
        for name, model in (
            ("route", ContactRoute),
            ("method", ConsultationMethod),
            ("categories", IssueCategory),
            ("primary_category", IssueCategory),
        ):
            if name in self.fields:
                self.fields[name].queryset = model.available_to(municipality_id)
        for name in ("agencies", "to_agency", "agency", "lead_agency"):
            if name in self.fields:
                self.fields[name].queryset = SupportAgency.objects.filter(
                    municipality_id=municipality_id, is_active=True
                )
        if "assigned_to" in self.fields:
            self.fields["assigned_to"].queryset = User.objects.filter(
                memberships__municipality_id=municipality_id,
                memberships__is_active=True,
                memberships__role__in=[Role.CASEWORKER, Role.MANAGER],
            ).order_by("username")
            self.fields["assigned_to"].label_from_instance = staff_label


def staff_label(user: User) -> str:
    return str(user)


def add_rule_error(form: forms.Form, exc: Any) -> None:
    """Show a service's ``CaseRuleError`` next to its field, or above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def form_status(request: Any) -> int:
    """400 for a POST that comes back with errors, 200 for a first GET."""
    return 400 if request.method == "POST" else 200


class VersionField(forms.IntegerField):
    """The version of the record the form was filled from (optimistic locking)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, **kwargs)


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = [
            "name", "name_kana", "sex", "sex_note", "birth_date", "address",
            "phone_home", "phone_mobile", "email",
        ]  # fmt: skip
        widgets = {"birth_date": DateInput()}

    def clean_name_kana(self) -> str:
        value = kana_reading(self.cleaned_data.get("name_kana", ""))
        if value and not is_kana_reading(value):
            raise forms.ValidationError(_("Enter the reading in kana (hiragana or katakana)."))
        return value

    def clean_birth_date(self) -> datetime.date | None:
        value = self.cleaned_data.get("birth_date")
        try:
            check_birth_date(value)
        except CaseRuleError as exc:
            raise forms.ValidationError(exc.message) from exc
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class PersonEditForm(PersonForm):
    """Editing a registered person: carries the version it was filled from."""

    version = VersionField()


class ConsultationForm(TenantFormMixin, forms.Form):
    occurred_at = forms.DateTimeField(label=_("Date and time"), widget=DateTimeInput())
    method = forms.ModelChoiceField(label=_("Method"), queryset=ConsultationMethod.objects.none())
    summary = forms.CharField(
        label=_("Consultation note"), widget=forms.Textarea(attrs={"rows": 6})
    )
    follow_up_on = forms.DateField(label=_("Next follow-up"), required=False, widget=DateInput())
    visitor_name = forms.CharField(
        label=_("Visitor's name (if not the person)"), max_length=100, required=False
    )
    visitor_relationship = forms.CharField(
        label=_("Visitor's relationship"), max_length=50, required=False
    )
    visitor_phone = forms.CharField(label=_("Visitor's phone"), max_length=30, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        occurred = cleaned.get("occurred_at")
        if occurred and occurred > timezone.now() + datetime.timedelta(minutes=5):
            self.add_error("occurred_at", _("A consultation cannot be in the future."))
        follow_up = cleaned.get("follow_up_on")
        if follow_up and occurred and follow_up < timezone.localtime(occurred).date():
            self.add_error("follow_up_on", _("The follow-up must be after the consultation."))
        return cleaned


class IntakeForm(ConsultationForm):
    """The case and first consultation parts of intake (the person has its own form)."""

    existing_person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    not_a_duplicate = forms.BooleanField(
        label=_("None of these is the person: register a new person"), required=False
    )
    route = forms.ModelChoiceField(label=_("Route"), queryset=ContactRoute.objects.none())
    categories = forms.ModelMultipleChoiceField(
        label=_("Issues"),
        queryset=IssueCategory.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    primary_category = forms.ModelChoiceField(
        label=_("Most pressing issue (◎)"), queryset=IssueCategory.objects.none(), required=False
    )
    assigned_to = forms.ModelChoiceField(
        label=_("Caseworker"), queryset=User.objects.none(), required=False
    )
    is_sensitive = forms.BooleanField(label=_("Sensitive (DV, abuse)"), required=False)


class ConsultationAmendForm(forms.Form):
    version = VersionField()
    summary = forms.CharField(
        label=_("Consultation note"), widget=forms.Textarea(attrs={"rows": 6})
    )
    follow_up_on = forms.DateField(label=_("Next follow-up"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class CaseEditForm(CleanTextMixin, TenantFormMixin, forms.Form):
    version = VersionField()
    route = forms.ModelChoiceField(label=_("Route"), queryset=ContactRoute.objects.none())
    categories = forms.ModelMultipleChoiceField(
        label=_("Issues"),
        queryset=IssueCategory.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    primary_category = forms.ModelChoiceField(
        label=_("Most pressing issue (◎)"), queryset=IssueCategory.objects.none(), required=False
    )
    assigned_to = forms.ModelChoiceField(
        label=_("Caseworker"), queryset=User.objects.none(), required=False
    )
    agencies = forms.ModelMultipleChoiceField(
        label=_("Agencies involved"),
        queryset=SupportAgency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    is_sensitive = forms.BooleanField(label=_("Sensitive (DV, abuse)"), required=False)


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=())
    reason = forms.CharField(
        label=_("Reason (required to close or reopen)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, allowed: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(s, Case.Status(s).label) for s in allowed]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class HouseholdForm(forms.Form):
    name = forms.CharField(label=_("Household name"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class HouseholdMemberDetailsForm(forms.Form):
    """What the household records about one member."""

    relationship = forms.ChoiceField(label=_("Relationship"), choices=Relationship.choices)
    is_carer = forms.BooleanField(label=_("Cares for another member"), required=False)
    needs_care = forms.BooleanField(label=_("Needs care"), required=False)
    works = forms.NullBooleanField(
        label=_("In work or school"),
        required=False,
        widget=forms.Select(
            choices=[("unknown", _("Unknown")), ("true", _("Yes")), ("false", _("No"))]
        ),
    )
    notes = forms.CharField(label=_("Notes"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class HouseholdMemberForm(HouseholdMemberDetailsForm):
    """Add a member: an existing person (by id from the search) or a new one."""

    existing_person = forms.IntegerField(
        label=_("Existing person (ID)"), required=False, min_value=1
    )
    field_order = ["existing_person"]


class ConsentForm(TenantFormMixin, forms.Form):
    covers = forms.ChoiceField(
        label=_("Covers"),
        choices=[("case", _("This case")), ("person", _("All of the person's cases"))],
        initial="case",
    )
    agencies = forms.ModelMultipleChoiceField(
        label=_("Agencies"),
        queryset=SupportAgency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    scope = forms.CharField(label=_("Information shared"), max_length=200)
    covers_multiagency_meeting = forms.BooleanField(
        label=_("Covers the multi-agency support meeting"), required=False, initial=True
    )
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=Consent.LegalBasis.choices)
    method = forms.ChoiceField(label=_("How it was given"), choices=Consent.Method.choices)
    witness = forms.CharField(label=_("Witness"), max_length=100, required=False)
    rules_explained = forms.BooleanField(label=_("Handling rules explained"), required=False)
    given_on = forms.DateField(label=_("Given on"), widget=DateInput())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class ConsentWithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


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
        label=_("Cases (case numbers, one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("e.g. 2026-00012"),
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
            self.fields[f"attendee_{i}_name"] = forms.CharField(
                label=_("Name"), max_length=100, required=False
            )
            self.fields[f"attendee_{i}_organisation"] = forms.CharField(
                label=_("Organisation"), max_length=100, required=False
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


class ReferralForm(TenantFormMixin, forms.Form):
    to_program = forms.ChoiceField(
        label=_("Refer to"),
        choices=[(p.value, p.label) for p in Program if p != Program.CONSULTATION],
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


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Name or reading"), max_length=100, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class AgencyForm(forms.ModelForm):
    class Meta:
        model = SupportAgency
        fields = ["name", "field", "kind", "contact"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class MasterDataForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("List"),
        choices=[
            ("category", _("Issue categories")),
            ("route", _("Routes of contact")),
            ("method", _("Consultation methods")),
        ],
    )
    code = forms.RegexField(
        label=_("Code"),
        max_length=30,
        regex=r"^[a-z0-9_]+$",
        help_text=_("Lower-case letters, digits and _; it never changes once used."),
        error_messages={"invalid": _("Use lower-case letters, digits and _ only.")},
    )
    name = forms.CharField(label=_("Name"), max_length=50)
    field = forms.ChoiceField(
        label=_("Field (issue categories only)"),
        required=False,
        choices=[("", "—"), *Field.choices],
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class FlagSnoozeForm(CleanTextMixin, forms.Form):
    until = forms.DateField(label=_("Snooze until"), widget=DateInput())


class FlagDismissForm(CleanTextMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for dismissing"), max_length=300)


class FlagReferForm(CleanTextMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason and what is asked"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )


class RuleSettingForm(CleanTextMixin, forms.Form):
    enabled = forms.BooleanField(label=_("Enabled"), required=False)

    def __init__(self, *args: Any, rule: Any, params: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule = rule
        for key, default in rule.defaults.items():
            self.fields[key] = forms.IntegerField(
                label=rule.param_labels.get(key, key),
                min_value=0,
                max_value=3650,
                initial=params.get(key, default),
                help_text=_("Default: %(value)d") % {"value": default},
            )


MONTHS = [(m, f"{m}月") for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]


class StatisticsPeriodForm(CleanTextMixin, forms.Form):
    fiscal_year = forms.TypedChoiceField(label=_("Fiscal year"), coerce=int, choices=())
    first_month = forms.TypedChoiceField(
        label=_("From month"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "—"), *MONTHS],
    )
    last_month = forms.TypedChoiceField(
        label=_("To month"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "—"), *MONTHS],
    )

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from portal.fiscal import reiwa_fiscal_year_label

        self.fields["fiscal_year"].choices = [(y, reiwa_fiscal_year_label(y)) for y in years]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        order = [m for m, _label in MONTHS]
        first, last = cleaned.get("first_month"), cleaned.get("last_month")
        if first and last and order.index(last) < order.index(first):
            raise forms.ValidationError(_("The month range ends before it starts."))
        return cleaned


class TargetsForm(CleanTextMixin, forms.Form):
    def __init__(
        self, *args: Any, indicators: list[Any], targets: dict[str, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for indicator in indicators:
            self.fields[indicator.code] = forms.IntegerField(
                label=indicator.title,
                min_value=0,
                max_value=10_000_000,
                required=False,
                initial=targets.get(indicator.code),
            )


class AccessPurposeForm(CleanTextMixin, forms.Form):
    purpose = forms.CharField(
        label=_("Purpose of access"),
        max_length=200,
        min_length=4,
        help_text=_("e.g. 本人からの電話に対応するため"),
    )
