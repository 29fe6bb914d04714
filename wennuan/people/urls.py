from django.urls import path

from wennuan.people import views

app_name = "people"
urlpatterns = [
    path("roster/", views.roster, name="roster"),
    path("roster/<int:pk>/remove/", views.remove, name="remove_shift"),
    path("health/", views.health, name="health"),
    path("health/team/", views.health_team, name="health_team"),
    path("health/staff/<int:pk>/", views.health_history, name="health_history"),
]
