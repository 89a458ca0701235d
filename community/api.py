"""REST API of community building (reads through ``community.queries``, writes
through ``community.services``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from community import queries, services
from community.models import ActivityRecord, Concern, Place, PlatformSession
from municipalities.scoped_api import ScopedViewSet
from municipalities.scoping import active_membership
from portal.api import StrictModelSerializer


class PlaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = [
            "id",
            "name",
            "kind",
            "organiser",
            "organiser_kind",
            "area",
            "schedule",
            "target_groups",
            "accessibility",
            "contact",
            "status",
        ]


class ActivitySerializer(serializers.ModelSerializer):
    class Meta:
        model = ActivityRecord
        fields = ["id", "place", "held_on", "participants", "volunteers", "note"]


class PlatformSessionSerializer(serializers.ModelSerializer):
    outcomes = serializers.SerializerMethodField()

    class Meta:
        model = PlatformSession
        fields = ["id", "held_on", "theme", "attendance", "outcomes"]

    def get_outcomes(self, session: PlatformSession) -> list[dict[str, Any]]:
        return [
            {
                "kind": o.kind,
                "description": o.description,
                "provider": o.provider_id,
                "menu": o.menu_id,
            }
            for o in session.outcomes.all()
        ]


class ConcernSerializer(StrictModelSerializer):
    class Meta:
        model = Concern
        fields = [
            "id",
            "reporter_kind",
            "subject_name",
            "subject_kana",
            "subject_area",
            "how_to_reach",
            "observation",
            "urgency",
            "status",
            "case",
            "created_at",
        ]
        read_only_fields = ["status", "case", "created_at"]


class PlaceViewSet(ScopedViewSet):
    model = Place
    serializer_class = PlaceSerializer
    personal = False
    filterset_fields = ["area", "kind", "status"]

    def scoped(self, user: Any) -> Any:
        return queries.places_visible_to(user).order_by("area", "name")


class ActivityViewSet(ScopedViewSet):
    model = ActivityRecord
    serializer_class = ActivitySerializer
    personal = False
    filterset_fields = ["place"]

    def scoped(self, user: Any) -> Any:
        return queries.activity_records_visible_to(user).order_by("-held_on", "-pk")


class PlatformSessionViewSet(ScopedViewSet):
    model = PlatformSession
    serializer_class = PlatformSessionSerializer
    personal = False

    def scoped(self, user: Any) -> Any:
        return (
            queries.sessions_visible_to(user)
            .prefetch_related("outcomes")
            .order_by("-held_on", "-pk")
        )


class ConcernViewSet(ScopedViewSet):
    """Caseworkers and managers read concerns; anyone in community building or
    consultation may send one."""

    model = Concern
    serializer_class = ConcernSerializer
    filterset_fields = ["status", "urgency"]

    def scoped(self, user: Any) -> Any:
        return queries.concerns_visible_to(user).order_by("urgency_rank", "created_at")

    @extend_schema(request=ConcernSerializer, responses={201: ConcernSerializer})
    def create(self, request: Request) -> Response:
        data = ConcernSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        concern = services.concern_record(
            user=request.user,
            municipality=active_membership(request.user).municipality,
            **data.validated_data,
        )
        return self.created(concern)


ROUTES = [
    ("places", PlaceViewSet),
    ("activities", ActivityViewSet),
    ("platform-sessions", PlatformSessionViewSet),
    ("concerns", ConcernViewSet),
]
