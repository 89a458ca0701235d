"""REST API: the roster of implementing municipalities (public information), and how
the schema describes the API tokens."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import mixins, serializers, viewsets

from municipalities.models import Municipality
from portal.api import Pagination


class MunicipalitySerializer(serializers.ModelSerializer):
    fiscal_years = serializers.SerializerMethodField()

    class Meta:
        model = Municipality
        fields = ["id", "code", "prefecture", "name", "name_kana", "fiscal_years"]

    def get_fiscal_years(self, m: Municipality) -> list[dict[str, Any]]:
        return [{"fiscal_year": p.fiscal_year, "kind": p.kind} for p in m.participations.all()]


class MunicipalityViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = MunicipalitySerializer
    pagination_class = Pagination
    queryset = Municipality.objects.prefetch_related("participations").order_by("code")
    filterset_fields = ["prefecture", "code"]


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The API token in the OpenAPI schema: ``Authorization: Token <key>``."""

    target_class = "municipalities.api_tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )


ROUTES = [("municipalities", MunicipalityViewSet)]
