"""Shared pieces of the REST API: pagination and the strict input fields every app's API
uses (errors and throttling are in ``portal.api_hooks``, which settings import; the
scoped, audited base view set is ``municipalities.scoped_api.ScopedViewSet``)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from portal.forms import (
    CONTROL_MESSAGE,
    DATE_RANGE_MESSAGE,
    MAX_TEXT,
    date_in_range,
    has_control_characters,
)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Any) -> int:
        """Refuse a page size that is not a positive whole number (DRF would silently
        fall back to the default)."""
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        try:
            value = int(raw[-1])
        except ValueError:
            value = 0
        if value < 1 or len(raw) > 1:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give one whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return min(value, self.max_page_size)


# The longest list an input may carry (attendees, cases of a meeting, categories):
# beyond it a request is refused rather than turned into thousands of rows.
MAX_LIST = 100
# REST framework's message for it, which its Japanese catalogue lacks (ours supplies it).
LIST_TOO_LONG = gettext_lazy("Ensure this field has no more than {max_length} elements.")


class StrictCharField(serializers.CharField):
    """Text must arrive as text (DRF would turn 0 or true into "0" and "True") and hold
    no control characters, as in the forms (``portal.forms``)."""

    default_error_messages = {"control": CONTROL_MESSAGE}

    def __init__(self, **kwargs: Any) -> None:
        if not kwargs.get("read_only"):
            kwargs.setdefault("max_length", MAX_TEXT)  # a TextField has no limit of its own
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if has_control_characters(data):
            self.fail("control")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    """A date between 1900 and 2100, as in the forms."""

    default_error_messages = {"range": DATE_RANGE_MESSAGE}

    def to_internal_value(self, value: Any) -> Any:
        day = super().to_internal_value(value)
        if not date_in_range(day):
            self.fail("range")
        return day


class StrictDateTimeField(serializers.DateTimeField):
    """A date and time between 1900 and 2100, as in the forms."""

    default_error_messages = {"range": DATE_RANGE_MESSAGE}

    def to_internal_value(self, value: Any) -> Any:
        moment = super().to_internal_value(value)
        if not date_in_range(moment):
            self.fail("range")
        return moment


class StrictModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.DateField: StrictDateField,
        models.DateTimeField: StrictDateTimeField,
    }
