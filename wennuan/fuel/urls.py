from django.urls import path

from wennuan.fuel import views

app_name = "fuel"
urlpatterns = [
    path("", views.company, name="company"),
    path("upload/", views.upload, name="upload"),
    path("export.xlsx", views.company_export, name="company_export"),
    path("<str:code>/", views.source, name="source"),
    path("<str:code>/export.xlsx", views.export, name="export"),
    path("<str:code>/record/<slug:action>/", views.record, name="record"),
    path("<str:code>/entries/<int:pk>/reverse/", views.reverse, name="reverse"),
    path("<str:code>/expected/<int:pk>/cancel/", views.cancel_expected, name="cancel_expected"),
]
