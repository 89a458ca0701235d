"""Forms of the coordinator's pages; the rules live in ``participation.services``."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from participation.models import Accommodation, Assignment, Menu, Provider, SessionLog, Weekday
from portal.forms import CleanTextMixin, DateInput


def split_tags(value: str) -> list[str]:
    """'パソコン、農作業, 料理' → ['パソコン', '農作業', '料理']."""
    return [t.strip() for t in re.split(r"[,、，\s]+", value or "") if t.strip()]


class TagsField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 300)
        kwargs.setdefault("help_text", _("Separate with commas, e.g. パソコン、農作業"))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "、".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return split_tags(super().to_python(value))


class ProviderForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Provider
        fields = [
            "name", "kind", "contact_person", "phone", "email", "address", "area",
            "host_support", "notes", "is_active",
        ]  # fmt: skip
        widgets = {
            "host_support": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class MenuForm(CleanTextMixin, forms.ModelForm):
    days = forms.MultipleChoiceField(
        label=_("Days"),
        choices=Weekday.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    accommodations = forms.MultipleChoiceField(
        label=_("Accommodations"),
        choices=Accommodation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    interests = TagsField(label=_("Suits interests"))

    class Meta:
        model = Menu
        fields = [
            "provider", "name", "kind", "description", "area", "location", "days", "schedule",
            "capacity", "interests", "accommodations", "eligibility", "cost", "contact",
            "status", "is_open",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, municipality_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.filter(
            municipality_id=municipality_id, is_active=True
        )
        self.fields["capacity"].min_value = 1
        self.fields["capacity"].widget.attrs["min"] = 1

    def clean_capacity(self) -> int:
        value = self.cleaned_data["capacity"]
        if value < 1:
            raise forms.ValidationError(_("The capacity is at least 1."))
        return value


class CatalogueFilterForm(CleanTextMixin, forms.Form):
    q = forms.CharField(label=_("Keyword"), max_length=100, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *Menu.Kind.choices]
    )
    area = forms.ChoiceField(label=_("Area"), required=False, choices=())
    accommodation = forms.ChoiceField(
        label=_("Accommodation"), required=False, choices=[("", _("All")), *Accommodation.choices]
    )

    def __init__(self, *args: Any, areas: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("All")), *((a, a) for a in areas)]


class ProfileForm(CleanTextMixin, forms.Form):
    interests = TagsField(label=_("Interests"))
    area = forms.CharField(label=_("Preferred area"), max_length=50, required=False)
    days = forms.MultipleChoiceField(
        label=_("Available days"),
        choices=Weekday.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    needs = forms.MultipleChoiceField(
        label=_("Needs"),
        choices=Accommodation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)


class AssignmentStatusForm(CleanTextMixin, forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=())
    on = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("Reason (required to end)"), max_length=200, required=False)

    def __init__(self, *args: Any, allowed: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(s, Assignment.Status(s).label) for s in allowed]


class SessionLogForm(CleanTextMixin, forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
    attendance = forms.ChoiceField(label=_("Attendance"), choices=SessionLog.Attendance.choices)
    observation = forms.CharField(
        label=_("What was observed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    concerns = forms.MultipleChoiceField(
        label=_("Concerns for the caseworker"),
        choices=SessionLog.Concern.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    concern_note = forms.CharField(
        label=_("What the caseworker should know"), max_length=300, required=False
    )


class FollowUpForm(CleanTextMixin, forms.Form):
    due_on = forms.DateField(label=_("Follow-up on"), widget=DateInput())


class FollowUpDoneForm(CleanTextMixin, forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
    host_feedback = forms.CharField(
        label=_("Host's feedback"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
