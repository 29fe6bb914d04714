"""URL configuration of Wennuan."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from django.views.generic import RedirectView

from wennuan.core import views as core_views
from wennuan.people import two_factor_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("login/", core_views.WennuanLoginView.as_view(), name="login"),
    path("login/verify/", two_factor_views.login_verify, name="login_verify"),
    path("account/", include("wennuan.people.account_urls")),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("grid/", include("wennuan.grid.urls")),
    path("service/", include("wennuan.service.urls")),
    path("portal/", include("wennuan.portal.urls")),
    path("open311/v2/", include("wennuan.open311.urls")),
    path("integrations/keys/", include("wennuan.open311.staff_urls")),
    path("api/v1/", include("wennuan.api.urls")),
    path("operations/", include("wennuan.operations.urls")),
    path("fuel/", include("wennuan.fuel.urls")),
    path("emergency/", include("wennuan.emergency.urls")),
    path("people/", include("wennuan.people.urls")),
    path("inspections/", include("wennuan.inspections.urls")),
    path("reports/", include("wennuan.reports.urls")),
    path("community/", include("wennuan.community.urls")),
    path("track/", RedirectView.as_view(url="/portal/track/", permanent=False)),
    # The admin's own login form would skip the second factor.
    path("admin/login/", two_factor_views.admin_login),
    path("admin/", admin.site.urls),
]

# A database that cannot be reached answers 503 with Retry-After, not a bare 500.
handler500 = "wennuan.core.views.server_error"
