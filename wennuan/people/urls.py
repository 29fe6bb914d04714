from django.urls import path

from wennuan.people import views

app_name = "people"
urlpatterns = [
    path("roster/", views.roster, name="roster"),
    path("roster/<int:pk>/remove/", views.remove, name="remove_shift"),
]
