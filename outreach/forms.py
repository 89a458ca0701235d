"""Forms of the outreach pages; the rules live in ``outreach.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Meeting, SupportAgency
from outreach.models import Contact, OutreachTarget, Stage
from outreach.services import MANUAL_STAGES
from portal.forms import CleanTextMixin, DateInput


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Meeting) -> str:
        return f"{obj.held_on:%Y-%m-%d} {obj.title}"


class TargetForm(CleanTextMixin, forms.Form):
    description = forms.CharField(
        label=_("Who the team is trying to reach"),
        max_length=200,
        help_text=_("As far as known, e.g. 「○○地区の60代男性、郵便物がたまっている」"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    area = forms.CharField(label=_("Area"), max_length=100, required=False)
    source = forms.ChoiceField(
        label=_("Where the information came from"), choices=OutreachTarget.Source.choices
    )
    source_agency = forms.ModelChoiceField(
        label=_("Agency that told the team"), queryset=SupportAgency.objects.none(), required=False
    )
    source_note = forms.CharField(label=_("About the source"), max_length=200, required=False)
    basis_meeting = MeetingChoiceField(
        label=_("Support meeting that decided the outreach"),
        queryset=Meeting.objects.none(),
        required=False,
        help_text=_(
            "Without the person's consent, outreach is decided at a support meeting (支援会議)."
        ),
    )
    worker = UserChoiceField(label=_("Outreach worker responsible"), queryset=None)
    found_on = forms.DateField(label=_("Found on"), widget=DateInput())
    cadence_days = forms.IntegerField(
        label=_("Planned rhythm (days between contacts)"), min_value=1, max_value=180, initial=14
    )

    def __init__(self, *args: Any, municipality_id: int, workers: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("found_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["source_agency"].queryset = SupportAgency.objects.filter(
            municipality_id=municipality_id, is_active=True
        )
        self.fields["basis_meeting"].queryset = Meeting.objects.filter(
            municipality_id=municipality_id, kind=Meeting.Kind.SUPPORT
        ).order_by("-held_on", "-pk")
        self.fields["worker"].queryset = workers


class ContactForm(CleanTextMixin, forms.Form):
    """At the door, on a phone: two taps and a line."""

    contacted_on = forms.DateField(label=_("Date"), widget=DateInput())
    method = forms.ChoiceField(
        label=_("How"), choices=Contact.Method.choices, widget=forms.RadioSelect, initial="visit"
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Contact.Outcome.choices, widget=forms.RadioSelect
    )
    observed = forms.CharField(
        label=_("What was observed"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_planned_on = forms.DateField(
        label=_("Next contact planned"), required=False, widget=DateInput()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("contacted_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class StageForm(CleanTextMixin, forms.Form):
    to_stage = forms.ChoiceField(label=_("New stage"), choices=())
    on = forms.DateField(label=_("Date"), widget=DateInput())
    reason = forms.CharField(label=_("Why"), max_length=300)

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = [
            (s.value, s.label) for s in MANUAL_STAGES if s.value != current
        ]


class HandOverForm(CleanTextMixin, forms.Form):
    lead_agency = forms.ModelChoiceField(
        label=_("Agency that takes the case (lead agency)"),
        queryset=SupportAgency.objects.none(),
        required=False,
    )
    case = forms.ChoiceField(label=_("Or the person's open case"), choices=(), required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(
        self, *args: Any, municipality_id: int, open_cases: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_agency"].queryset = SupportAgency.objects.filter(
            municipality_id=municipality_id, is_active=True
        )
        self.open_cases = {str(c.pk): c for c in open_cases}
        self.fields["case"].choices = [("", "---------")] + [
            (str(c.pk), c.number) for c in open_cases
        ]
        if not open_cases:
            del self.fields["case"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        case = self.open_cases.get(data.get("case") or "")
        data["case"] = case
        if case is None and data.get("lead_agency") is None:
            raise forms.ValidationError(_("Choose the agency that takes the case."))
        return data


class FromConcernForm(CleanTextMixin, forms.Form):
    worker = UserChoiceField(label=_("Outreach worker responsible"), queryset=None)
    cadence_days = forms.IntegerField(
        label=_("Planned rhythm (days between contacts)"), min_value=1, max_value=180, initial=14
    )

    def __init__(self, *args: Any, workers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers


class RegisterFilterForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("Working on")), *Stage.choices]
    )
    mine = forms.BooleanField(label=_("Mine only"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
