from django.urls import path

from wennuan.emergency import views

app_name = "emergency"
urlpatterns = [
    path("", views.mode, name="mode"),
    path("disinfection/", views.disinfection, name="disinfection"),
    path("tracing/", views.tracing, name="tracing"),
    path("calls/", views.calls, name="calls"),
    path("households/<int:household_pk>/flags/", views.flag_add, name="flag_add"),
    path("flags/<int:pk>/end/", views.flag_end, name="flag_end"),
]
