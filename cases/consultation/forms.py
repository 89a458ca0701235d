"""Forms of 包括的相談支援: the consultation note, the intake, amendments and search."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.core.forms import TenantFormMixin, VersionField
from cases.models import ConsultationMethod, ContactRoute, IssueCategory
from municipalities.models import User
from portal.forms import DateInput, DateTimeInput, clean_text_fields


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


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Name or reading"), max_length=100, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class EmergencyLookForm(SearchForm):
    """緊急時の閲覧: the search again, and why it cannot wait."""

    q = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    birth_date = forms.DateField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why this cannot wait (life or body at risk)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
