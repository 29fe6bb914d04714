from django.urls import path

from wennuan.community import views

app_name = "community"
urlpatterns = [
    path("", views.partners, name="partners"),
    path("mine/", views.mine, name="mine"),
    path("supplies/", views.supplies, name="supplies"),
    path("supplies/record/<slug:kind>/", views.supplies_record, name="supplies_record"),
    path("supplies/entries/<int:pk>/reverse/", views.supplies_reverse, name="supplies_reverse"),
    path("<int:pk>/", views.partner, name="partner"),
    path("<int:pk>/record/<slug:action>/", views.partner_record, name="partner_record"),
    path("members/<int:pk>/end/", views.end_report, name="end_report"),
    path("donations/<int:pk>/reverse/", views.reverse_support, name="reverse_support"),
]
