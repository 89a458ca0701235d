"""API of the shared core: persons, cases (and their status), consent and households.
The same scoped reads and services as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from cases.core import queries, services
from cases.models import (
    Case,
    CaseAgency,
    Consent,
    ContactRoute,
    Household,
    IssueCategory,
    Person,
)
from municipalities.models import User
from municipalities.scoped_api import ScopedViewSet
from municipalities.scoping import active_membership
from portal.api import MAX_LIST, StrictCharField, StrictDateField
from portal.errors import CaseRuleError


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "name_kana",
            "birth_date",
            "sex",
            "address",
            "phone_home",
            "phone_mobile",
            "email",
            "created_at",
            "version",
        ]


class CaseAgencySerializer(serializers.ModelSerializer):
    """An agency involved in the case (関係機関) and who works the case there."""

    class Meta:
        model = CaseAgency
        fields = ["agency", "assigned_to"]


class CaseSerializer(serializers.ModelSerializer):
    route = serializers.SlugRelatedField(slug_field="code", read_only=True)
    categories = serializers.SerializerMethodField()
    agencies = CaseAgencySerializer(source="agency_links", many=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "person",
            "household",
            "status",
            "route",
            "categories",
            "assigned_to",
            "lead_agency",
            "agencies",
            "opened_on",
            "closed_on",
            "close_reason",
            "is_sensitive",
            "version",
        ]
        read_only_fields = ["lead_agency"]

    def get_categories(self, case: Case) -> list[str]:
        return [c.category.code for c in case.case_categories.all()]


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = [
            "id",
            "person",
            "case",
            "agencies",
            "purpose",
            "scope",
            "covers_multiagency_meeting",
            "legal_basis",
            "method",
            "given_on",
            "withdrawn_on",
        ]


class HouseholdSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = ["id", "name", "members"]

    def get_members(self, household: Household) -> list[dict[str, Any]]:
        return [
            {
                "person": m.person_id,
                "relationship": m.relationship,
                "is_carer": m.is_carer,
                "needs_care": m.needs_care,
            }
            for m in household.members.all()
            if m.left_at is None
        ]


def master_code(model: Any, municipality_id: int, code: str) -> Any:
    obj = model.available_to(municipality_id).filter(code=code).first()
    if obj is None:
        raise serializers.ValidationError(f"unknown code: {code}")
    return obj


class CaseInput(serializers.Serializer):
    person = serializers.IntegerField(required=False)
    name = StrictCharField(max_length=100, required=False)
    name_kana = StrictCharField(max_length=100, required=False, allow_blank=True)
    birth_date = StrictDateField(required=False, allow_null=True)
    route = StrictCharField(max_length=30)
    categories = serializers.ListField(
        child=StrictCharField(max_length=30), required=False, max_length=MAX_LIST
    )
    primary_category = StrictCharField(max_length=30, required=False, allow_blank=True)
    opened_on = StrictDateField(required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data.get("person") and not data.get("name"):
            raise serializers.ValidationError({"name": ["person or name is required"]})
        return data


class CaseUpdateInput(serializers.Serializer):
    """PATCH of a case. ``version`` is required: the one the client read (optimistic
    locking); a case saved since then is refused with 409. Fields left out keep their value."""

    version = serializers.IntegerField(
        min_value=1, help_text="The case's version as last read; a stale version gives 409."
    )
    route = StrictCharField(max_length=30, required=False)
    categories = serializers.ListField(
        child=StrictCharField(max_length=30), required=False, max_length=MAX_LIST
    )
    primary_category = StrictCharField(
        max_length=30, required=False, allow_blank=True, allow_null=True
    )
    assigned_to = serializers.IntegerField(required=False, allow_null=True)
    is_sensitive = serializers.BooleanField(required=False)


class PersonUpdateInput(serializers.Serializer):
    """PATCH of a person. ``version`` is required: the one the client read (optimistic
    locking); a person saved since then is refused with 409. Fields left out keep their
    value."""

    version = serializers.IntegerField(
        min_value=1, help_text="The person's version as last read; a stale version gives 409."
    )
    name = StrictCharField(max_length=100, required=False)
    name_kana = StrictCharField(max_length=100, required=False, allow_blank=True)
    birth_date = StrictDateField(required=False, allow_null=True)
    sex = serializers.ChoiceField(choices=Person.Sex.choices, required=False)
    sex_note = StrictCharField(max_length=50, required=False, allow_blank=True)
    address = StrictCharField(max_length=200, required=False, allow_blank=True)
    phone_home = StrictCharField(max_length=30, required=False, allow_blank=True)
    phone_mobile = StrictCharField(max_length=30, required=False, allow_blank=True)
    email = StrictCharField(
        max_length=254, required=False, allow_blank=True, validators=[EmailValidator()]
    )


class StatusInput(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Case.Status.choices)
    reason = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class PersonViewSet(ScopedViewSet):
    model = Person
    serializer_class = PersonSerializer
    ordering_fields = ["name_kana", "created_at"]

    def scoped(self, user: Any) -> Any:
        return queries.persons_visible_to(user).order_by("search_kana", "pk")

    def audit_ids(self, obj: Any) -> tuple[int | None, int | None]:
        return None, obj.pk

    @extend_schema(
        request=PersonUpdateInput,
        responses={200: PersonSerializer},
        description="Change a person's details. Requires the `version` last read; if the "
        "person was changed since, nothing is saved and the answer is 409 with error code "
        "`conflict`.",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        if not queries.can_see_cases(request.user):
            raise PermissionDenied
        person = self.get_object()
        data = PersonUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version")
        try:
            services.person_update(user=request.user, person=person, version=version, **fields)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return Response(self.get_serializer(self.get_queryset().get(pk=person.pk)).data)


class CaseViewSet(ScopedViewSet):
    model = Case
    serializer_class = CaseSerializer
    filterset_fields = ["status", "assigned_to"]
    ordering_fields = ["opened_on", "number"]

    def scoped(self, user: Any) -> Any:
        return queries.cases_visible_to(user).prefetch_related(
            "case_categories__category", "agency_links"
        )

    def audit_ids(self, obj: Any) -> tuple[int | None, int | None]:
        return obj.pk, obj.person_id

    @extend_schema(request=CaseInput, responses={201: CaseSerializer})
    def create(self, request: Request) -> Response:
        if not queries.can_see_cases(request.user):
            raise PermissionDenied
        data = CaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        municipality = active_membership(request.user).municipality
        mid = municipality.pk
        # A new person and their case, all or nothing: a case refused by its service (or
        # an unknown code) leaves no person behind.
        with transaction.atomic():
            person = (
                queries.person_get_for_user(request.user, d["person"])
                if d.get("person")
                else services.person_create(
                    user=request.user,
                    municipality=municipality,
                    name=d["name"],
                    name_kana=d.get("name_kana", ""),
                    birth_date=d.get("birth_date"),
                )
            )
            categories = [master_code(IssueCategory, mid, c) for c in d.get("categories", [])]
            primary = (
                master_code(IssueCategory, mid, d["primary_category"])
                if d.get("primary_category")
                else None
            )
            case = services.case_open(
                user=request.user,
                person=person,
                route=master_code(ContactRoute, mid, d["route"]),
                categories=categories,
                primary_category=primary,
                opened_on=d.get("opened_on"),
                assigned_to=request.user,
            )
        return self.created(self.scoped(request.user).get(pk=case.pk))

    @extend_schema(
        request=CaseUpdateInput,
        responses={200: CaseSerializer},
        description="Change a case. Requires the `version` last read; if the case was "
        "changed since, nothing is saved and the answer is 409 with error code `conflict`.",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        if not queries.can_see_cases(request.user):
            raise PermissionDenied
        case = self.get_object()
        data = CaseUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        mid = case.municipality_id
        current = list(case.case_categories.all())
        categories = (
            [master_code(IssueCategory, mid, c) for c in d["categories"]]
            if "categories" in d
            else [c.category for c in current]
        )
        if "primary_category" in d:
            code = d["primary_category"]
            primary = master_code(IssueCategory, mid, code) if code else None
        else:
            primary = next((c.category for c in current if c.is_primary), None)
        assigned_to = case.assigned_to
        if "assigned_to" in d:
            assigned_to = (
                User.objects.filter(pk=d["assigned_to"]).first() if d["assigned_to"] else None
            )
            if d["assigned_to"] and assigned_to is None:
                raise CaseRuleError(
                    _("The caseworker must work in this municipality."), "assigned_to"
                )
        services.case_update(
            user=request.user,
            case=case,
            version=d["version"],
            route=master_code(ContactRoute, mid, d["route"]) if "route" in d else case.route,
            categories=categories,
            primary_category=primary,
            assigned_to=assigned_to,
            agencies=list(case.agencies.all()),
            is_sensitive=d.get("is_sensitive", case.is_sensitive),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(request=StatusInput, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        data = StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.case_change_status(user=request.user, case=case, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)


class ConsentViewSet(ScopedViewSet):
    model = Consent
    serializer_class = ConsentSerializer
    filterset_fields = ["person", "case"]

    def scoped(self, user: Any) -> Any:
        qs = queries.case_roles_only(
            user, Consent.objects.filter(queries.person_condition(user, "person"))
        )
        return qs.prefetch_related("agencies").order_by("-given_on", "-pk")


class HouseholdViewSet(ScopedViewSet):
    model = Household
    serializer_class = HouseholdSerializer

    def scoped(self, user: Any) -> Any:
        return queries.households_visible_to(user).prefetch_related("members").order_by("pk")


ROUTES = [
    ("persons", PersonViewSet),
    ("cases", CaseViewSet),
    ("consents", ConsentViewSet),
    ("households", HouseholdViewSet),
]
