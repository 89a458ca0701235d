"""Forms of the statistics pages: the period and the yearly targets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import CleanTextMixin

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
