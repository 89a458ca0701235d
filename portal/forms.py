"""Input checks every form of the portal shares: text without control characters and
within its length, dates within a plausible range. The API's fields
(``portal.api``) apply the same checks, so a page and a program are refused alike."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_TEXT = 10000
# C0 and C1 control characters and DEL; tab and line breaks are ordinary text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)

CONTROL_MESSAGE = _("The text contains control characters.")
TOO_LONG_MESSAGE = _("The text is too long (at most %(max)d characters).")
DATE_RANGE_MESSAGE = _("Enter a date between 1900 and 2100.")
# Django's own message for NUL, refused by every form field before our checks run. Its
# Japanese catalogue translates it as "enter some text"; ours gives the real reason and
# takes precedence (LOCALE_PATHS come before Django's catalogue).
NULL_MESSAGE = _("Null characters are not allowed.")


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def date_in_range(value: datetime.date | datetime.datetime) -> bool:
    day = value.date() if isinstance(value, datetime.datetime) else value
    return EARLIEST_DATE <= day <= LATEST_DATE


def clean_text(value: str, *, max_length: int = MAX_TEXT) -> str:
    """Refuse control characters (other than line breaks and tabs) and oversize text."""
    value = (value or "").replace("\r\n", "\n")
    if has_control_characters(value):
        raise forms.ValidationError(CONTROL_MESSAGE)
    if len(value) > max_length:
        raise forms.ValidationError(TOO_LONG_MESSAGE, params={"max": max_length})
    return value


def clean_text_fields(form: forms.Form) -> None:
    """Check every text, date and date-time value of a form; errors go to their field."""
    for name, value in list(form.cleaned_data.items()):
        field = form.fields.get(name)
        if isinstance(value, str):
            try:
                form.cleaned_data[name] = clean_text(
                    value, max_length=getattr(field, "max_length", None) or MAX_TEXT
                )
            except forms.ValidationError as exc:
                form.add_error(name, exc)
        elif isinstance(value, datetime.date) and not date_in_range(value):
            form.add_error(name, forms.ValidationError(DATE_RANGE_MESSAGE))


class CleanTextMixin:
    """Run ``clean_text_fields`` on every value of the form."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        clean_text_fields(self)  # type: ignore[arg-type]
        return cleaned


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def add_rule_error(form: forms.Form, exc: Any) -> None:
    """Show a service's ``CaseRuleError`` next to its field, or above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def form_status(request: Any) -> int:
    """400 for a POST that comes back with errors, 200 for a first GET."""
    return 400 if request.method == "POST" else 200
