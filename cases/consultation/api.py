"""API of 包括的相談支援: consultations."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases.consultation import services
from cases.core import queries as core_queries
from cases.core.api import master_code
from cases.models import Consultation, ConsultationMethod
from municipalities.scoped_api import ScopedViewSet
from portal.api import StrictCharField, StrictDateField, StrictDateTimeField


class ConsultationSerializer(serializers.ModelSerializer):
    method = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Consultation
        fields = [
            "id",
            "case",
            "occurred_at",
            "method",
            "staff",
            "summary",
            "follow_up_on",
            "visitor_name",
            "visitor_relationship",
            "deleted_at",
        ]


class ConsultationInput(serializers.Serializer):
    case = serializers.IntegerField()
    occurred_at = StrictDateTimeField()
    method = StrictCharField(max_length=30)
    summary = StrictCharField(max_length=10000)
    follow_up_on = StrictDateField(required=False, allow_null=True)


class ConsultationViewSet(ScopedViewSet):
    model = Consultation
    serializer_class = ConsultationSerializer
    filterset_fields = ["case"]

    def scoped(self, user: Any) -> Any:
        return (
            core_queries.case_scoped(user, Consultation.objects.all())
            .select_related("method")
            .filter(case__deleted_at__isnull=True)
        ).order_by("-occurred_at", "-pk")

    def audit_ids(self, obj: Any) -> tuple[int | None, int | None]:
        return obj.case_id, None

    @extend_schema(request=ConsultationInput, responses={201: ConsultationSerializer})
    def create(self, request: Request) -> Response:
        data = ConsultationInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        case = core_queries.case_get_for_user(request.user, d["case"])
        consultation = services.consultation_log(
            user=request.user,
            case=case,
            data=services.ConsultationData(
                occurred_at=d["occurred_at"],
                method=master_code(ConsultationMethod, case.municipality_id, d["method"]),
                summary=d["summary"],
                follow_up_on=d.get("follow_up_on"),
            ),
        )
        return self.created(consultation)


ROUTES = [("consultations", ConsultationViewSet)]
