from django.urls import path

from wennuan.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("verify/", views.verify, name="verify"),
    path("verify/code/", views.verify_code, name="verify_code"),
    path("leave/", views.leave, name="leave"),
    path("new/", views.categories, name="categories"),
    path("new/<slug:code>/", views.new_request, name="new_request"),
    path("hazard/", views.hazard, name="hazard"),
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/<str:number>/", views.request_detail, name="request"),
    path("requests/<str:number>/<str:action>/", views.request_action, name="request_action"),
    path("track/", views.track, name="track"),
    path("my-data/", views.my_data, name="my_data"),
]
