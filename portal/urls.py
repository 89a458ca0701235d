from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from municipalities import views as municipality_views
from portal import views as portal_views

admin.site.site_header = _("Multi-layered support portal administration")
admin.site.site_title = _("Multi-layered support portal")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", municipality_views.home, name="home"),
    path("staff/api-tokens/", municipality_views.api_tokens, name="api_tokens"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/", include("cases.urls")),
    path("participation/", include("participation.urls")),
    path("community/", include("community.urls")),
    path("api/", include("portal.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz/", portal_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.bad_request"
handler404 = "portal.views.not_found"
