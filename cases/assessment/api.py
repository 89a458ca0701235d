"""API of the assessment: read only, through the case's scoped layer (need to know
included), every read audited (``ScopedViewSet``)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cases.assessment.queries import assessments_visible_to
from cases.models import Assessment
from municipalities.scoped_api import ScopedViewSet


class AssessmentSerializer(serializers.ModelSerializer):
    agencies_present = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    recorded_by = serializers.StringRelatedField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "case",
            "version",
            "assessed_on",
            "wishes",
            "life_history",
            "domains",
            "staff_present",
            "person_present",
            "family_present",
            "agencies_present",
            "supporters",
            "deceased",
            "recorded_by",
            "created_at",
        ]


class AssessmentViewSet(ScopedViewSet):
    model = Assessment
    serializer_class = AssessmentSerializer
    filterset_fields = ["case"]

    def scoped(self, user: Any) -> Any:
        return assessments_visible_to(user)


ROUTES = [("assessments", AssessmentViewSet)]
