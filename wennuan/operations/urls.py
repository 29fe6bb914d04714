from django.urls import path

from wennuan.operations import views

app_name = "operations"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("stations/<int:pk>/", views.station, name="station"),
    path("stops/", views.stops, name="stops"),
    path("stops/<int:pk>/end/", views.stop_end, name="stop_end"),
    path("alarms/<int:pk>/<slug:action>/", views.alarm_action, name="alarm_action"),
    path("incidents/<int:pk>/<slug:action>/", views.incident_action, name="incident_action"),
]
