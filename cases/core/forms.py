"""Forms of the shared core: person, case, status, household, consent, master data and
the purpose of access to a sensitive case."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.core.services import check_birth_date, clean_name_kana
from cases.models import (
    Case,
    Consent,
    ConsultationMethod,
    ContactRoute,
    Field,
    IssueCategory,
    Meeting,
    Person,
    Relationship,
    SupportAgency,
)
from municipalities.models import Role, User
from portal.errors import CaseRuleError
from portal.forms import CleanTextMixin, DateInput, clean_text_fields


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
                memberships__role__in=[Role.CASEWORKER, Role.MANAGER, Role.MULTIAGENCY],
            ).order_by("username")
            self.fields["assigned_to"].label_from_instance = staff_label


def staff_label(user: User) -> str:
    return str(user)


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # 「未記録」 is an answer: the field is not required, and empty means it.
        self.fields["sex"].required = False

    def clean_sex(self) -> str:
        return self.cleaned_data.get("sex") or Person.Sex.UNRECORDED

    def clean_name_kana(self) -> str:
        try:
            return clean_name_kana(self.cleaned_data.get("name_kana", ""))
        except CaseRuleError as exc:
            raise forms.ValidationError(exc.message) from exc

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


class MasterDataForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("List"),
        choices=[
            ("category", _("Issue categories")),
            ("route", _("Routes of contact")),
            ("method", _("Consultation methods")),
        ],
    )
    name = forms.CharField(label=_("Name"), max_length=50)
    code = forms.RegexField(
        label=_("Code for the API (optional)"),
        max_length=30,
        required=False,
        regex=r"^[a-z0-9_]+$",
        help_text=_(
            "Lower-case letters, digits and _; leave empty and one is made. It never "
            "changes once used."
        ),
        error_messages={"invalid": _("Use lower-case letters, digits and _ only.")},
    )
    field = forms.ChoiceField(
        label=_("Field (issue categories only)"),
        required=False,
        choices=[("", "—"), *Field.choices],
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        clean_text_fields(self)
        return cleaned


class AccessPurposeForm(CleanTextMixin, forms.Form):
    purpose = forms.CharField(
        label=_("Purpose of access"),
        max_length=200,
        min_length=4,
        help_text=_("e.g. 本人からの電話に対応するため"),
    )


class SharingForm(TenantFormMixin, CleanTextMixin, forms.Form):
    """A form that shares a case with an agency: the agency and, when there is no
    consent naming it, the 支援会議 that is the basis (``meetings``: those of the case)."""

    agency = forms.ModelChoiceField(label=_("Agency"), queryset=SupportAgency.objects.none())
    meeting = forms.ModelChoiceField(
        label=_("Basis: support meeting (art. 106-6)"),
        required=False,
        queryset=Meeting.objects.none(),
        help_text=_(
            "Leave empty to share on the basis of the person's consent. Choose a support "
            "meeting that discussed this case with the agency attending when there is no "
            "consent yet."
        ),
    )

    def __init__(self, *args: Any, meetings: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings
        self.fields["meeting"].label_from_instance = lambda m: f"{m.held_on:%Y-%m-%d} {m.title}"


class CaseAgencyForm(SharingForm):
    """Who is on a case: add a 関係機関, hand the lead over, or take an agency off."""

    ADD, LEAD, REMOVE = "add", "lead", "remove"
    field_order = ["action", "agency", "meeting", "reason"]
    action = forms.ChoiceField(
        label=_("What to do"),
        choices=[
            (ADD, _("Add as an agency involved (関係機関)")),
            (LEAD, _("Hand the lead (主担当) to this agency")),
            (REMOVE, _("Take this agency off the case")),
        ],
        widget=forms.RadioSelect,
        initial=ADD,
    )
    reason = forms.CharField(
        label=_("Reason (when taking an agency off)"), max_length=200, required=False
    )


class CaseAgencyStaffForm(CleanTextMixin, forms.Form):
    """Who works the case inside one agency on it (the service checks the staff
    belongs to that agency and the user may choose)."""

    agency = forms.IntegerField(widget=forms.HiddenInput)
    staff = forms.IntegerField(label=_("Staff in charge"), required=False)


class CaseProvisionForm(SharingForm):
    """情報提供書: to which agency, on which basis, and what of the record."""

    sections = forms.MultipleChoiceField(
        label=_("What to provide"),
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("person", _("The person (name, date of birth, contact)")),
            ("issues", _("Issues")),
            ("consultations", _("Course of the consultations")),
            ("plan", _("The current support plan")),
        ],
        initial=["person", "issues", "consultations", "plan"],
    )
    since = forms.DateField(label=_("Consultations from"), required=False, widget=DateInput())
    within_consent = forms.BooleanField(
        label=_(
            "I have checked that what is provided stays within the purpose and scope the "
            "person agreed to (or that the support meeting shared)."
        ),
        error_messages={"required": _("Confirm that the provision stays within the consent.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].label = _("To the agency")
        self.fields["meeting"].help_text = _(
            "Leave empty to provide on the basis of the person's consent naming the agency."
        )
