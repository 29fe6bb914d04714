"""Django admin for partner communities."""

from django.contrib import admin

from wennuan.community.models import PartnerCommunity


@admin.register(PartnerCommunity)
class PartnerCommunityAdmin(admin.ModelAdmin[PartnerCommunity]):
    list_display = ["community", "since", "liaison"]
    list_select_related = ["community", "liaison"]
    autocomplete_fields = ["community", "liaison"]
    filter_horizontal = ["zones"]
