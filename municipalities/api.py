"""REST API: the roster of implementing municipalities (public information)."""

from __future__ import annotations

from typing import Any

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


ROUTES = [("municipalities", MunicipalityViewSet)]
