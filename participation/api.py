"""REST API of participation support (reads through ``participation.queries``, writes
through ``participation.services``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from municipalities.scoped_api import ScopedViewSet
from participation import queries, services
from participation.models import Assignment, Menu, Provider, SessionLog
from portal.api import MAX_LIST, StrictCharField, StrictDateField


class ProviderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Provider
        fields = [
            "id",
            "name",
            "kind",
            "contact_person",
            "phone",
            "area",
            "host_support",
            "is_active",
        ]


class MenuSerializer(serializers.ModelSerializer):
    in_use = serializers.IntegerField(read_only=True)

    class Meta:
        model = Menu
        fields = [
            "id",
            "provider",
            "name",
            "description",
            "kind",
            "area",
            "days",
            "schedule",
            "capacity",
            "in_use",
            "interests",
            "accommodations",
            "status",
            "is_open",
        ]


class AssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assignment
        fields = [
            "id",
            "case",
            "menu",
            "referral",
            "plan",
            "status",
            "start_on",
            "end_on",
            "coordinator",
        ]


class SessionLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionLog
        fields = [
            "id",
            "assignment",
            "held_on",
            "attendance",
            "observation",
            "concerns",
            "concern_note",
            "referral",
        ]


class AssignmentInput(serializers.Serializer):
    referral = serializers.IntegerField()
    menu = serializers.IntegerField()


class AssignmentStatusInput(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Assignment.Status.choices)
    on = StrictDateField(required=False)
    reason = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class SessionLogInput(serializers.Serializer):
    assignment = serializers.IntegerField()
    held_on = StrictDateField()
    attendance = serializers.ChoiceField(choices=SessionLog.Attendance.choices)
    observation = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")
    concerns = serializers.ListField(
        max_length=MAX_LIST,
        child=serializers.ChoiceField(choices=SessionLog.Concern.choices),
        required=False,
        default=list,
    )
    concern_note = StrictCharField(max_length=300, required=False, allow_blank=True, default="")


class ProviderViewSet(ScopedViewSet):
    model = Provider
    serializer_class = ProviderSerializer
    personal = False

    def scoped(self, user: Any) -> Any:
        return queries.providers_visible_to(user).order_by("name", "pk")


class MenuViewSet(ScopedViewSet):
    model = Menu
    serializer_class = MenuSerializer
    personal = False
    filterset_fields = ["kind", "area", "status"]

    def scoped(self, user: Any) -> Any:
        return queries.menus_visible_to(user).order_by("name", "pk")


class AssignmentViewSet(ScopedViewSet):
    model = Assignment
    serializer_class = AssignmentSerializer
    filterset_fields = ["case", "menu", "status"]

    def scoped(self, user: Any) -> Any:
        return queries.assignments_visible_to(user).order_by("-created_at", "-pk")

    @extend_schema(request=AssignmentInput, responses={201: AssignmentSerializer})
    def create(self, request: Request) -> Response:
        """Propose a menu to a person referred and accepted: refused (400, with the
        message) unless the case has a decided plan that applies for 参加支援."""
        from cases.collaboration import referral_get_for_user

        data = AssignmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        referral = referral_get_for_user(request.user, data.validated_data["referral"])
        menu = queries.menu_get_for_user(request.user, data.validated_data["menu"])
        assignment = services.assignment_propose(user=request.user, referral=referral, menu=menu)
        return self.created(self.scoped(request.user).get(pk=assignment.pk))

    @extend_schema(request=AssignmentStatusInput, responses={200: AssignmentSerializer})
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        assignment = self.get_object()
        data = AssignmentStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.assignment_change_status(
            user=request.user, assignment=assignment, **data.validated_data
        )
        return Response(self.get_serializer(assignment).data)


class SessionLogViewSet(ScopedViewSet):
    model = SessionLog
    serializer_class = SessionLogSerializer
    filterset_fields = ["assignment"]

    def scoped(self, user: Any) -> Any:
        assignments = queries.assignments_visible_to(user)
        return SessionLog.objects.filter(assignment__in=assignments).order_by("-held_on", "-pk")

    def audit_ids(self, obj: Any) -> tuple[int | None, int | None]:
        return obj.assignment.case_id, None

    @extend_schema(request=SessionLogInput, responses={201: SessionLogSerializer})
    def create(self, request: Request) -> Response:
        data = SessionLogInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        assignment = queries.assignment_get_for_user(request.user, d.pop("assignment"))
        return self.created(services.session_log(user=request.user, assignment=assignment, **d))


ROUTES = [
    ("providers", ProviderViewSet),
    ("menus", MenuViewSet),
    ("assignments", AssignmentViewSet),
    ("session-logs", SessionLogViewSet),
]
