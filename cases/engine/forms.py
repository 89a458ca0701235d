"""Forms of the referral engine: snooze, dismiss or refer a flag; a rule's settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import CleanTextMixin, DateInput


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
