"""API of the referral engine: flags."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cases.engine import queries
from cases.models import Flag
from municipalities.scoped_api import ScopedViewSet
from portal.api import StrictCharField


class FlagSerializer(serializers.ModelSerializer):
    title = StrictCharField(source="rule_title", read_only=True)

    class Meta:
        model = Flag
        fields = [
            "id",
            "rule",
            "title",
            "subject_type",
            "subject_id",
            "case",
            "audience",
            "state",
            "detail",
            "raised_at",
            "snoozed_until",
        ]


class FlagViewSet(ScopedViewSet):
    model = Flag
    serializer_class = FlagSerializer
    filterset_fields = ["rule", "state"]

    def scoped(self, user: Any) -> Any:
        return queries.flags_visible_to(user).order_by("raised_at", "pk")


ROUTES = [("flags", FlagViewSet)]
