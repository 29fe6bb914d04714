from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "wennuan.notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from wennuan.notify import checks  # noqa: F401  (registers the system checks)
