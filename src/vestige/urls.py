from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from vestige.api import api
from vestige.reports import audit as audit_views
from vestige.reports import views as report_views
from vestige.web import views

admin.site.site_header = "Vestige administration"

handler400 = "vestige.web.errors.bad_request"
handler403 = "vestige.web.errors.permission_denied"
handler404 = "vestige.web.errors.page_not_found"
handler500 = "vestige.web.errors.server_error"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("map/", views.map_view, name="map"),
    path("map/data.geojson", views.map_data, name="map-data"),
    path("accounts/login/", views.login_view, name="login"),
    path("login/", RedirectView.as_view(pattern_name="login", query_string=True), name="login-short"),
    path("accounts/login/code/", views.login_otp, name="login-otp"),
    path("accounts/two-factor/", views.otp_setup, name="otp-setup"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/profile/media/", views.profile_media, name="profile-media"),
    path("accounts/profile/signature/", views.profile_signature, name="profile-signature"),
    path("accounts/tokens/new/", views.token_create, name="token-create"),
    path("accounts/tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("search/", report_views.search, name="search"),
    path("audit/", audit_views.audit, name="audit"),
    path("audit/export.csv", audit_views.audit_export, name="audit-export"),
    path("admin/login/", views.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("vestige.claims.urls")),
    path("", include("vestige.missing.urls")),
    path("", include("vestige.identification.urls")),
    path("", include("vestige.dvi.urls")),
    path("", include("vestige.evidence.urls")),
    path("", include("vestige.registry.urls")),
]
