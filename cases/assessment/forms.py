"""Forms of the assessment sheet and of the marks on the ecomap's relationships."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.assessment.domains import DOMAINS, PARTS
from cases.assessment.maps import CaseMaps
from cases.models import Assessment, RelationshipMark, SupportAgency
from portal.forms import CleanTextMixin, DateInput

TEXTAREA = {"rows": 3}


def _field_name(domain: str, part: str) -> str:
    return f"{domain}__{part}"


def parse_supporters(text: str) -> list[dict[str, str]]:
    """One supporter a line, ``role: name`` (or just the name)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        role, sep, name = line.replace("：", ":").partition(":")
        out.append(
            {"role": role.strip(), "name": name.strip()} if sep else {"role": "", "name": role}
        )
    return out


def supporters_text(supporters: list[dict[str, str]]) -> str:
    return "\n".join(
        f"{s['role']}: {s['name']}" if s.get("role") else s["name"] for s in supporters
    )


class AssessmentForm(CleanTextMixin, forms.Form):
    assessed_on = forms.DateField(label=_("Date of the assessment"), widget=DateInput())
    wishes = forms.CharField(
        label=_("The person's wishes, in their own words"),
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=_("What the person says they want; if they could not say, write why."),
    )
    life_history = forms.CharField(
        label=_("Life history"), widget=forms.Textarea(attrs=TEXTAREA), required=False
    )
    staff_present = forms.CharField(label=_("Staff who took part"), max_length=200, required=False)
    person_present = forms.BooleanField(label=_("The person took part"), required=False)
    family_present = forms.CharField(
        label=_("Family who took part"), max_length=200, required=False
    )
    agencies_present = forms.ModelMultipleChoiceField(
        label=_("Agencies that took part"),
        queryset=SupportAgency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    supporters = forms.CharField(
        label=_("Supporters around the person"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One a line, role: name (e.g. 民生委員: 田中 一郎). Drawn on the ecomap."),
    )
    deceased = forms.TypedMultipleChoiceField(
        label=_("Household members who have died"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, maps: CaseMaps, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case = maps.case
        self.fields["agencies_present"].queryset = SupportAgency.objects.filter(
            municipality_id=case.municipality_id, is_active=True
        ).order_by("field", "name")
        self.fields["deceased"].choices = [
            (m.person_id, f"{m.name}（{m.relationship_label}）")
            for m in maps.members
            if not m.is_self
        ]
        for domain, label in DOMAINS:
            for part, part_label in PARTS:
                self.fields[_field_name(domain, part)] = forms.CharField(
                    label=f"{label}：{part_label}",
                    widget=forms.Textarea(attrs={"rows": 2}),
                    required=False,
                )

    def domain_groups(self) -> list[dict[str, Any]]:
        """The domain fields by domain, for the template."""
        return [
            {"label": label, "fields": [self[_field_name(domain, part)] for part, _l in PARTS]}
            for domain, label in DOMAINS
        ]

    def domains(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            domain: {part: data.get(_field_name(domain, part), "") for part, _l in PARTS}
            for domain, _label in DOMAINS
        }

    @staticmethod
    def initial_from(assessment: Assessment | None, today) -> dict[str, Any]:
        """The form prefilled from the latest version (dated today)."""
        if assessment is None:
            return {"assessed_on": today}
        initial: dict[str, Any] = {
            "assessed_on": today,
            "wishes": assessment.wishes,
            "life_history": assessment.life_history,
            "staff_present": assessment.staff_present,
            "person_present": assessment.person_present,
            "family_present": assessment.family_present,
            "agencies_present": list(assessment.agencies_present.all()),
            "supporters": supporters_text(assessment.supporters),
            "deceased": assessment.deceased,
        }
        for domain, parts in (assessment.domains or {}).items():
            for part, text in parts.items():
                initial[_field_name(domain, part)] = text
        return initial


class RelationshipMarksForm(forms.Form):
    """One choice per supporter on the ecomap: strong, weak, strained or not marked."""

    def __init__(self, *args: Any, maps: CaseMaps, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys = {}
        choices = [("", _("not marked")), *RelationshipMark.Strength.choices]
        for i, supporter in enumerate(maps.supporters):
            name = f"mark_{i}"
            self.keys[name] = supporter.key
            self.fields[name] = forms.ChoiceField(
                label=f"{supporter.label}（{supporter.kind}）",
                choices=choices,
                required=False,
                initial=maps.marks.get(supporter.key, ""),
            )

    def marks(self) -> dict[str, str]:
        return {self.keys[name]: value for name, value in self.cleaned_data.items()}
