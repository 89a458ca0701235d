"""Shared pieces of the REST API: pagination and the strict input fields every app's API
uses (errors and throttling are in ``portal.api_hooks``, which settings import; the
scoped, audited base view set is ``municipalities.scoped_api.ScopedViewSet``)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
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
        if not 1 <= value <= self.max_page_size or len(raw) > 1:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give one whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return value

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """The page and page size as the API enforces them (OpenAPI)."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


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


# --- the limits in the OpenAPI schema ------------------------------------------------------
# What the strict fields refuse is declared, so that a client sees it before it is refused.

# No C0/C1 control characters other than tab and line breaks (``portal.forms``).
# "+": an empty value, where allowed, is its own alternative in the schema.
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]+$"
DATE_RANGE = "Between 1900-01-01 and 2100-12-31."


class _StrictTextSchema(OpenApiSerializerFieldExtension):
    target_class = StrictCharField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if not self.target.read_only:
            schema["pattern"] = TEXT_PATTERN
        return schema


class _StrictDateSchema(OpenApiSerializerFieldExtension):
    target_class = StrictDateField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if not self.target.read_only:
            schema["description"] = " ".join(filter(None, [schema.get("description"), DATE_RANGE]))
        return schema


class _StrictDateTimeSchema(_StrictDateSchema):
    target_class = StrictDateTimeField


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, except that a filter given with no value (``?status=``) is refused
    rather than taken as no filter: a client that meant to filter learns it did not."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        names = getattr(view, "filterset_fields", None) or ()
        empty = [
            name
            for name in names
            if name in request.query_params and not request.query_params.get(name, "").strip()
        ]
        if empty:
            raise ValidationError(
                {name: [_("Give a value, or leave the filter out.")] for name in empty}
            )
        return super().filter_queryset(request, queryset, view)
