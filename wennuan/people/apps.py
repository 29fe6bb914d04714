from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "wennuan.people"
    verbose_name = _("People")

    def ready(self) -> None:
        from wennuan.people import checks  # noqa: F401  (registers the system checks)
