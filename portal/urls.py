from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from cases.core import views_audit as core_views_audit
from municipalities import views as municipality_views
from municipalities import views_account as account_views
from municipalities import views_staff as staff_views
from portal import metrics as portal_metrics
from portal import views as portal_views

admin.site.site_header = _("Multi-layered support portal administration")
admin.site.site_title = _("Multi-layered support portal")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", municipality_views.home, name="home"),
    path("me/", municipality_views.profile, name="profile"),
    path("staff/api-tokens/", municipality_views.api_tokens, name="api_tokens"),
    path(
        "staff/api-tokens/<int:token_id>/revoke/",
        municipality_views.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", account_views.second_factor, name="second_factor"),
    path("account/security/", account_views.account_security, name="account_security"),
    path(
        "account/second-factor/",
        account_views.second_factor_enrol,
        name="second_factor_enrol",
    ),
    path("account/second-factor/qr.svg", account_views.second_factor_qr, name="second_factor_qr"),
    path("staff/security/", account_views.staff_security, name="staff_security"),
    path(
        "staff/security/<int:user_id>/reset-device/",
        account_views.staff_reset_device,
        name="staff_reset_device",
    ),
    path(
        "staff/security/<int:user_id>/password/",
        account_views.staff_set_password,
        name="staff_set_password",
    ),
    path(
        "staff/security/<int:user_id>/unlock/",
        account_views.staff_unlock,
        name="staff_unlock",
    ),
    path("staff/new/", staff_views.staff_create, name="staff_create"),
    path("staff/<int:user_id>/", staff_views.staff_member, name="staff_member"),
    path(
        "staff/<int:user_id>/deactivate/",
        staff_views.staff_deactivate,
        name="staff_deactivate",
    ),
    path("staff/organisations/", staff_views.organisations, name="staff_organisations"),
    path(
        "staff/organisations/<int:organisation_id>/",
        staff_views.organisation_edit,
        name="staff_organisation",
    ),
    path("audit/", core_views_audit.audit_search, name="audit_search"),
    path("cases/", include("cases.urls")),
    path("participation/", include("participation.urls")),
    path("community/", include("community.urls")),
    path("outreach/", include("outreach.urls")),
    path("api/", include("portal.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz/", portal_views.healthz, name="healthz"),
    path("readyz/", portal_views.readyz, name="readyz"),
    # Prometheus' default path, without a slash; only with the token (portal.metrics).
    path("metrics", portal_metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.bad_request"
handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"
