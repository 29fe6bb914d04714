from django.urls import path

from wennuan.service import views

app_name = "service"
urlpatterns = [
    path("", views.board, name="board"),
    path("bulk/", views.board_bulk, name="bulk"),
    path("handover/", views.handover, name="handover"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("my/", views.my_work_page, name="my_work"),
    path("all/", views.requests_page, name="list"),
    path("new/", views.on_behalf, name="on_behalf"),
    path("requests/<int:pk>/", views.detail, name="detail"),
    path("requests/<int:pk>/<slug:name>/", views.action, name="action"),
]
