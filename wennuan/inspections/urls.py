from django.urls import path

from wennuan.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.oversight, name="oversight"),
    path("my/", views.my_rounds, name="my_rounds"),
    path("rounds/<int:pk>/", views.round_page, name="round"),
    path("rounds/<int:pk>/draft/", views.round_draft, name="round_draft"),
    path("rounds/<int:pk>/assign/", views.round_assign, name="round_assign"),
    path("facilities/", views.facility_list, name="facilities"),
    path("facilities/<int:pk>/", views.facility_history, name="facility"),
    path("visits/<int:pk>/photo/", views.visit_photo, name="visit_photo"),
]
