"""The statistics API: the 事業-by-事業 figures of a municipality for its managers, and
the national aggregates (counts only, small counts suppressed) for system
administrators, for a fiscal year or a month range of it."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.registry import indicators
from cases.statistics.queries import Period, municipality_statistics
from cases.statistics.report import (
    FISCAL_MONTHS,
    business_sections,
    national_totals,
    plan_for,
    targets_of,
)
from cases.statistics.services import fiscal_years
from municipalities.audit import audit_write
from municipalities.models import AuditEvent, Role
from municipalities.scoping import active_membership, has_role
from portal.fiscal import fiscal_year_of


class PeriodQuery(serializers.Serializer):
    fiscal_year = serializers.IntegerField(required=False, help_text="Fiscal year (April–March)")
    first_month = serializers.IntegerField(required=False, min_value=1, max_value=12)
    last_month = serializers.IntegerField(required=False, min_value=1, max_value=12)

    def validate_fiscal_year(self, value: int) -> int:
        years = fiscal_years()
        if value not in years:
            raise serializers.ValidationError(
                _("The fiscal year must be between %(first)s and %(last)s.")
                % {"first": years[-1], "last": years[0]}
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first, last = attrs.get("first_month"), attrs.get("last_month")
        if first and last and FISCAL_MONTHS.index(last) < FISCAL_MONTHS.index(first):
            raise serializers.ValidationError(
                {"last_month": [_("The month range ends before it starts.")]}
            )
        return attrs

    def period(self) -> Period:
        data = self.validated_data
        year = data.get("fiscal_year") or fiscal_year_of(timezone.localdate())
        return Period.of(year, data.get("first_month"), data.get("last_month"))


class IndicatorOut(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    definition = serializers.CharField()
    actual = serializers.IntegerField()
    target = serializers.IntegerField(allow_null=True)
    progress = serializers.IntegerField(allow_null=True, help_text="% of the target achieved")


class BusinessOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    note = serializers.CharField()
    operation = serializers.CharField(help_text="Who runs it, as the 実施計画 says")
    contractors = serializers.CharField()
    rows = IndicatorOut(many=True)


class MunicipalityStatisticsOut(serializers.Serializer):
    municipality_code = serializers.CharField()
    fiscal_year = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    businesses = BusinessOut(many=True)


class NationalIndicatorOut(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    total = serializers.JSONField(help_text='A count, or "<5" for 1–4')
    prefectures = serializers.DictField(child=serializers.JSONField())


class NationalStatisticsOut(serializers.Serializer):
    fiscal_year = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    indicators = NationalIndicatorOut(many=True)


PERIOD_PARAMETERS = [
    OpenApiParameter("fiscal_year", int, description="Fiscal year (2025 = 令和7年度)"),
    OpenApiParameter("first_month", int, description="First month of the range (1–12)"),
    OpenApiParameter("last_month", int, description="Last month of the range (1–12)"),
]
ERRORS = {400: dict, 403: dict, 404: dict}


def _period(request: Request) -> Period:
    query = PeriodQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.period()


class MunicipalityStatisticsView(APIView):
    """The figures of the manager's own municipality; any other municipality is 404."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        membership = active_membership(request.user)
        if membership is None or membership.municipality.code != kwargs.get("municipality_code"):
            raise Http404
        if not has_role(request.user, Role.MANAGER):
            raise PermissionDenied(_("Only managers see the municipality's statistics."))

    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses={200: MunicipalityStatisticsOut, **ERRORS},
        summary="事業-by-事業 figures of a municipality",
    )
    def get(self, request: Request, municipality_code: str) -> Response:
        membership = active_membership(request.user)
        mid = membership.municipality_id
        period = _period(request)
        stats = municipality_statistics(mid, period)
        sections = business_sections(
            stats.counts, targets_of(mid, period.fiscal_year), plan_for(mid, period.fiscal_year)
        )
        audit_write(
            user=request.user,
            municipality_id=mid,
            action=AuditEvent.Action.EXPORT,
            detail={"what": "statistics", "format": "api", "period": [str(period.start)]},
            request=request,
        )
        data = {
            "municipality_code": municipality_code,
            "fiscal_year": period.fiscal_year,
            "start": period.start,
            "end": period.end,
            "businesses": [s.__dict__ for s in sections],
        }
        return Response(MunicipalityStatisticsOut(data).data)


class NationalStatisticsView(APIView):
    """System administrators only: every indicator in total and by prefecture."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not request.user.is_system_admin:
            raise PermissionDenied(_("Only system administrators see the national figures."))

    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses={200: NationalStatisticsOut, **ERRORS},
        summary="National aggregates (counts only; 1–4 as <5)",
    )
    def get(self, request: Request) -> Response:
        period = _period(request)
        totals = national_totals(period)
        data = {
            "fiscal_year": period.fiscal_year,
            "start": period.start,
            "end": period.end,
            "indicators": [
                {
                    "code": i.code,
                    "title": str(i.title),
                    "total": totals.suppressed(totals.totals)[n],
                    "prefectures": {
                        pref: totals.suppressed(values)[n]
                        for pref, values in sorted(totals.prefectures.items())
                    },
                }
                for n, i in enumerate(indicators())
            ],
        }
        return Response(NationalStatisticsOut(data).data)


urlpatterns = [
    path("national/", NationalStatisticsView.as_view(), name="api-statistics-national"),
    path(
        "municipalities/<str:municipality_code>/",
        MunicipalityStatisticsView.as_view(),
        name="api-statistics-municipality",
    ),
]
