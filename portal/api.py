"""Shared pieces of the REST API: pagination and the scoped, audited base view set every
app's API builds on (errors and throttling are in ``portal.api_hooks``, which settings
import)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from municipalities.audit import audit_write
from municipalities.models import AuditEvent
from municipalities.scoping import tenant_id_for
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


class ScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and retrieve through the app's tenant-scoped query function (the same one
    the pages use). Reads of personal data are audited."""

    pagination_class = Pagination
    model: Any = None
    personal = True  # audit reads

    def scoped(self, user: Any) -> Any:  # overridden per view set
        raise NotImplementedError

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.model.objects.none()
        return self.scoped(self.request.user)

    def audit_ids(self, obj: Any) -> tuple[int | None, int | None]:
        """(case id, person id) of an object, for the audit trail."""
        return getattr(obj, "case_id", None), getattr(obj, "person_id", None)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        if self.personal:
            case_id, person_id = self.audit_ids(obj)
            audit_write(
                user=request.user,
                municipality_id=obj.municipality_id,
                action=AuditEvent.Action.VIEW,
                obj=obj,
                case_id=case_id,
                person_id=person_id,
                detail={"via": "api"},
                request=request,
            )
        return Response(self.get_serializer(obj).data)

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        municipality_id = tenant_id_for(request.user)
        if self.personal and municipality_id is not None:
            results = response.data.get("results", []) if isinstance(response.data, dict) else []
            audit_write(
                user=request.user,
                municipality_id=municipality_id,
                action=AuditEvent.Action.SEARCH,
                detail={
                    "via": "api",
                    "endpoint": self.basename,
                    "ids": [r.get("id") for r in results][:500],
                },
                request=request,
            )
        return response

    def created(self, obj: Any, serializer_class: Any = None) -> Response:
        serializer = (serializer_class or self.get_serializer_class())(obj)
        return Response(serializer.data, status=status.HTTP_201_CREATED)


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
