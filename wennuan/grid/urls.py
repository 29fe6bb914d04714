from django.urls import path

from wennuan.grid import views

app_name = "grid"
urlpatterns = [
    path("households/", views.household_search, name="household_search"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path(
        "households/<int:pk>/data/export/",
        views.household_data_export,
        name="household_data_export",
    ),
    path(
        "households/<int:pk>/data/erase/", views.household_data_erase, name="household_data_erase"
    ),
    path("buildings/<int:pk>/", views.building_detail, name="building_detail"),
    path("stations/", views.station_list, name="station_list"),
    path("stations/<int:pk>/", views.station_detail, name="station_detail"),
    path("zones/", views.zone_list, name="zone_list"),
    path("zones/<int:pk>/", views.zone_detail, name="zone_detail"),
    path("coverage/", views.coverage, name="coverage"),
    path("import/", views.import_page, name="import"),
]
