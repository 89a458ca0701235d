"""Forms of the staff pages."""

from __future__ import annotations

from django import forms

from portal.forms import CleanTextMixin


class ApiTokenForm(CleanTextMixin, forms.Form):
    user = forms.IntegerField(min_value=1)
    action = forms.ChoiceField(choices=[("issue", "issue"), ("revoke", "revoke")])
