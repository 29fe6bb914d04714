from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "wennuan.community"
    verbose_name = _("Partner communities")
