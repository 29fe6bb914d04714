from django.urls import path

from wennuan.open311 import staff_views

app_name = "open311_keys"

urlpatterns = [
    path("", staff_views.key_list, name="list"),
    path("<int:pk>/revoke/", staff_views.key_revoke, name="revoke"),
]
