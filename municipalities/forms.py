"""Forms of the staff pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from municipalities.api_tokens import DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS
from municipalities.models import ApiToken, Organisation, Role, User
from municipalities.security import staff_of_manager
from portal.forms import CleanTextMixin


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.username})"


class ApiTokenForm(CleanTextMixin, forms.Form):
    """Issue a token: for whom, for which system, how long, what it may do."""

    owner = StaffChoiceField(label=_("Staff account"), queryset=User.objects.none())
    name = forms.CharField(
        label=_("Name or purpose"),
        max_length=100,
        help_text=_("The system that will use it, so that its token can be told apart."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"), choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=MAX_LIFETIME_DAYS,
        initial=DEFAULT_LIFETIME_DAYS,
    )

    def __init__(self, *args: Any, manager: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].help_text = gettext("At most %(max)d days.") % {
            "max": MAX_LIFETIME_DAYS
        }
        # Only the manager's own staff are offered (and accepted).
        self.fields["owner"].queryset = User.objects.filter(
            pk__in=staff_of_manager(manager).values("user_id")
        ).order_by("username")


class OrganisationForm(CleanTextMixin, forms.Form):
    """An organisation of the manager's municipality: its name and kind."""

    name = forms.CharField(label=_("Organisation name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Organisation.Kind.choices)


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


# The roles a manager gives, in the order the offices think of them.
ROLE_CHOICES = [("", "---------")] + [
    (role.value, role.label)
    for role in (
        Role.CASEWORKER,
        Role.COORDINATOR,
        Role.COMMUNITY_WORKER,
        Role.OUTREACH,
        Role.MULTIAGENCY,
        Role.MANAGER,
    )
]


class StaffMembershipForm(CleanTextMixin, forms.Form):
    """A staff member's role and organisation; only the manager's own municipality's
    organisations are offered (and accepted)."""

    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    organisation = OrganisationChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )

    def __init__(self, *args: Any, manager: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.for_user(manager).order_by(
            "kind", "name"
        )


class StaffAccountForm(StaffMembershipForm):
    """A new staff account: its login name, the name shown, role and organisation."""

    username = forms.CharField(
        label=_("User name"),
        max_length=User._meta.get_field("username").max_length,
        help_text=User._meta.get_field("username").help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    display_name = forms.CharField(
        label=_("Name shown in the portal"),
        max_length=User._meta.get_field("display_name").max_length,
    )

    field_order = ["username", "display_name", "role", "organisation"]
