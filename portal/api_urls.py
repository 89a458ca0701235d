from __future__ import annotations

from csp.decorators import csp_exempt
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from cases.api import ROUTES as CASES
from community.api import ROUTES as COMMUNITY
from municipalities.api import ROUTES as MUNICIPALITIES
from participation.api import ROUTES as PARTICIPATION

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
for prefix, viewset in (*MUNICIPALITIES, *CASES, *PARTICIPATION, *COMMUNITY):
    router.register(prefix, viewset, basename=prefix)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's page carries an inline script: the only view outside the strict
    # Content-Security-Policy, and it shows no personal data.
    path(
        "docs/",
        csp_exempt()(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("statistics/", include("cases.statistics.api")),
    path("", include(router.urls)),
]
