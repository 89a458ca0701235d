"""Forms of the community pages; the rules live in ``community.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from cases.core import PersonForm
from community.models import Concern, Outcome, Place, Sector, TargetGroup
from participation.models import Menu, Provider
from portal.forms import CleanTextMixin, DateInput


class PlaceForm(CleanTextMixin, forms.ModelForm):
    target_groups = forms.MultipleChoiceField(
        label=_("For whom"),
        choices=TargetGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Place
        fields = [
            "name", "kind", "organiser", "organiser_kind", "area", "address", "schedule",
            "target_groups", "accessibility", "contact", "status",
        ]  # fmt: skip


class RegisterFilterForm(CleanTextMixin, forms.Form):
    area = forms.ChoiceField(label=_("Area"), required=False, choices=())
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *Place.Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Place.Status.choices]
    )

    def __init__(self, *args: Any, areas: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("All")), *((a, a) for a in areas)]


class ActivityRecordForm(CleanTextMixin, forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
    participants = forms.IntegerField(label=_("Participants"), min_value=0, max_value=100000)
    volunteers = forms.IntegerField(
        label=_("Volunteers and staff"), min_value=0, max_value=100000, initial=0
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


OUTCOME_ROWS = 3


class PlatformSessionForm(CleanTextMixin, forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
    theme = forms.CharField(label=_("Theme"), max_length=200)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    organisations = forms.CharField(
        label=_("Participating organisations (one a line)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Counted once each in the statistics, however many of their staff came."),
    )

    def organisation_names(self) -> list[str]:
        return [line for line in self.cleaned_data.get("organisations", "").splitlines()]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in Sector.choices:
            self.fields[f"sector_{code}"] = forms.IntegerField(
                label=label, min_value=0, max_value=10000, required=False
            )
        for i in range(OUTCOME_ROWS):
            self.fields[f"outcome_{i}_kind"] = forms.ChoiceField(
                label=_("Outcome"),
                required=False,
                choices=[("", "—"), *Outcome.Kind.choices],
            )
            self.fields[f"outcome_{i}_description"] = forms.CharField(
                label=_("Description"), max_length=500, required=False
            )
            self.fields[f"outcome_{i}_organisation"] = forms.CharField(
                label=_("Organisation"), max_length=100, required=False
            )

    def sector_fields(self) -> list[Any]:
        return [self[f"sector_{code}"] for code in Sector.values]

    def outcome_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (
                self[f"outcome_{i}_kind"],
                self[f"outcome_{i}_description"],
                self[f"outcome_{i}_organisation"],
            )
            for i in range(OUTCOME_ROWS)
        ]

    def attendance(self) -> dict[str, int]:
        return {code: self.cleaned_data.get(f"sector_{code}") or 0 for code in Sector.values}

    def outcomes(self) -> list[tuple[str, str, str]]:
        return [
            (
                self.cleaned_data.get(f"outcome_{i}_kind", ""),
                self.cleaned_data.get(f"outcome_{i}_description", ""),
                self.cleaned_data.get(f"outcome_{i}_organisation", ""),
            )
            for i in range(OUTCOME_ROWS)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for i in range(OUTCOME_ROWS):
            kind = cleaned.get(f"outcome_{i}_kind")
            text = cleaned.get(f"outcome_{i}_description")
            if text and not kind:
                self.add_error(f"outcome_{i}_kind", _("Choose the kind of outcome."))
            if kind and not text:
                self.add_error(f"outcome_{i}_description", _("Describe the outcome."))
        return cleaned


class OutcomeProviderForm(CleanTextMixin, forms.Form):
    """A platform's new resource → participation provider (+ a first menu)."""

    name = forms.CharField(label=_("Provider name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind of provider"), choices=Provider.Kind.choices)
    contact_person = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    area = forms.CharField(label=_("Area"), max_length=50, required=False)
    host_support = forms.CharField(
        label=_("Support the host needs"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    menu_name = forms.CharField(label=_("First menu (optional)"), max_length=100, required=False)
    menu_kind = forms.ChoiceField(
        label=_("Kind of menu"), choices=Menu.Kind.choices, required=False
    )
    menu_description = forms.CharField(
        label=_("Menu description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    menu_capacity = forms.IntegerField(
        label=_("Capacity"), min_value=1, max_value=1000, required=False
    )

    def provider_fields(self) -> dict[str, Any]:
        keys = ("name", "kind", "contact_person", "phone", "area", "host_support")
        return {k: self.cleaned_data[k] for k in keys}

    def menu_fields(self) -> dict[str, Any] | None:
        if not self.cleaned_data.get("menu_name"):
            return None
        return {
            "name": self.cleaned_data["menu_name"],
            "kind": self.cleaned_data["menu_kind"] or Menu.Kind.OTHER,
            "description": self.cleaned_data["menu_description"] or self.cleaned_data["menu_name"],
            "capacity": self.cleaned_data["menu_capacity"] or 1,
            "area": self.cleaned_data["area"],
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("menu_name") and not cleaned.get("menu_capacity"):
            self.add_error("menu_capacity", _("Give the capacity of the menu."))
        return cleaned


class ConcernForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Concern
        fields = [
            "urgency", "observation", "subject_name", "subject_kana", "subject_area",
            "how_to_reach", "reporter_kind", "reporter_name", "reporter_contact",
        ]  # fmt: skip
        widgets = {
            "observation": forms.Textarea(attrs={"rows": 4}),
            "urgency": forms.RadioSelect,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["urgency"].choices = Concern.Urgency.choices  # no blank radio button


class ConcernLinkForm(CleanTextMixin, forms.Form):
    case_number = forms.CharField(
        label=_("Case"),
        max_length=100,
        help_text=_("The case number (2026-00007, or just 7) or the person's name or reading."),
        widget=forms.TextInput(attrs={"data-picker": reverse_lazy("cases:case_picker")}),
    )


class ConcernCloseForm(CleanTextMixin, forms.Form):
    note = forms.CharField(label=_("Why no case is needed"), max_length=300)


class ConcernPersonForm(PersonForm):
    """The person named in the concern, completed by the caseworker."""


class CasePlaceForm(CleanTextMixin, forms.Form):
    place = forms.ModelChoiceField(label=_("Place or activity"), queryset=Place.objects.none())
    since = forms.DateField(label=_("Since"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, municipality_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = Place.objects.filter(
            municipality_id=municipality_id, status=Place.Status.ACTIVE
        ).order_by("area", "name")
