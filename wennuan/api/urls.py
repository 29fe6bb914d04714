from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from wennuan.api import views
from wennuan.fuel.api import FuelSourceViewSet
from wennuan.inspections.api import (
    FacilityViewSet,
    FindingViewSet,
    PlanViewSet,
    RoundViewSet,
)
from wennuan.operations.api import IngestView

router = DefaultRouter()
router.register("requests", views.RequestViewSet, basename="request")
router.register("households", views.HouseholdViewSet, basename="household")
router.register("buildings", views.BuildingViewSet, basename="building")
router.register("stations", views.StationViewSet, basename="station")
router.register("zones", views.ZoneViewSet, basename="zone")
router.register("fuel/sources", FuelSourceViewSet, basename="fuel-source")
router.register("inspections/facilities", FacilityViewSet, basename="inspection-facility")
router.register("inspections/plans", PlanViewSet, basename="inspection-plan")
router.register("inspections/rounds", RoundViewSet, basename="inspection-round")
router.register("inspections/findings", FindingViewSet, basename="inspection-finding")

app_name = "api"

urlpatterns = [
    path("staff/availability/", views.AvailabilityView.as_view(), name="availability"),
    path("telemetry/ingest/", IngestView.as_view(), name="telemetry_ingest"),
    # The schema and its interactive page are for staff, like the API itself.
    path("schema/", login_required(SpectacularAPIView.as_view()), name="schema"),
    # The split view loads its start-up script from a URL (the Content-Security-Policy runs no
    # inline script); its template's small <style> element is allowed on this page only.
    path(
        "docs/",
        csp_update({"style-src-elem": [UNSAFE_INLINE]})(
            login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))
        ),
        name="docs",
    ),
    path("", include(router.urls)),
]
