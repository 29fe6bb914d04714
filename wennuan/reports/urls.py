from django.urls import path

from wennuan.reports import views

app_name = "reports"
urlpatterns = [
    path("briefing/", views.briefing, name="briefing"),
    path("briefing/regenerate/", views.regenerate, name="regenerate"),
    path("briefing/export.xlsx", views.export_xlsx, name="briefing_xlsx"),
    path("briefing/export.pdf", views.export_pdf, name="briefing_pdf"),
]
