"""The logged-in user's own account pages, under /account/."""

from django.urls import path

from wennuan.people import two_factor_views

app_name = "account"
urlpatterns = [
    path("two-factor/", two_factor_views.manage, name="two_factor"),
]
