"""Forms of the statistics pages: the period and the yearly targets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import CleanTextMixin, DateInput

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


class PlanForm(CleanTextMixin, forms.Form):
    """The 実施計画 of one fiscal year: period, policies, who runs each 事業, the targets."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    # Fiscal years named as 令和N年度; the values are the years they start in.
    first_year = forms.TypedChoiceField(
        label=_("Plan period from (fiscal year)"), coerce=int, choices=()
    )
    last_year = forms.TypedChoiceField(
        label=_("Plan period to (fiscal year)"), coerce=int, choices=()
    )
    adopted_on = forms.DateField(label=_("Adopted on"), required=False, widget=DateInput())
    policies = forms.CharField(
        label=_("Basic policies"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(
        self,
        *args: Any,
        businesses: list[Any],
        indicators: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        from django.utils import timezone

        from cases.models import PlanBusiness
        from portal.fiscal import fiscal_year_of, reiwa_fiscal_year_label

        # From the law's first year of the program (令和3年度) to ten years ahead.
        years = range(2021, fiscal_year_of(timezone.localdate()) + 11)
        for name in ("first_year", "last_year"):
            self.fields[name].choices = [(y, reiwa_fiscal_year_label(y)) for y in years]

        self.business_keys = [b.key for b in businesses]
        for business in businesses:
            # Shown in a table row named by the 事業: each control carries its own name.
            self.fields[f"op_{business.key}"] = forms.ChoiceField(
                label=business.label,
                choices=PlanBusiness.Operation.choices,
                widget=forms.Select(attrs={"aria-label": f"{business.label} {_('Run by')}"}),
            )
            self.fields[f"contractors_{business.key}"] = forms.CharField(
                label=_("Contractors"),
                max_length=500,
                required=False,
                widget=forms.TextInput(
                    attrs={"aria-label": f"{business.label} {_('Contractors')}"}
                ),
            )
        self.indicator_codes = [i.code for i in indicators]
        for indicator in indicators:
            self.fields[indicator.code] = forms.IntegerField(
                label=indicator.title,
                min_value=0,
                max_value=10_000_000,
                required=False,
                error_messages={"min_value": _("Targets are whole numbers of 0 or more.")},
            )

    def business_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"op_{k}"], self[f"contractors_{k}"]) for k in self.business_keys]

    def target_fields(self) -> list[Any]:
        return [self[code] for code in self.indicator_codes]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, last = cleaned.get("first_year"), cleaned.get("last_year")
        if first and last and last < first:
            self.add_error("last_year", _("The plan period ends before it starts."))
        return cleaned
