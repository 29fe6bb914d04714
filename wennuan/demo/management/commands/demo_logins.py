"""Print where the product runs and the demo logins for each role."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from wennuan.demo.services import DEMO_LOGINS, master_data_group, sample_household
from wennuan.people.models import User


class Command(BaseCommand):
    help = "Print the URL and the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Wennuan 问暖 is starting on http://{bind}/"))
        existing = set(
            User.objects.filter(username__in=[u for u, _r, _n in DEMO_LOGINS]).values_list(
                "username", flat=True
            )
        )
        if not existing:
            self.stdout.write("No demo logins in this database.")
            return
        master_data_group()  # a demo city built by an older version gets today's permissions
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for username, role, _name in DEMO_LOGINS:
            if username in existing:
                self.stdout.write(f"  {username:<12} {role.label}")
        sample = sample_household()
        if sample is not None:
            self.stdout.write(
                f"Try Open311 and the API (docs/open311.md, docs/api.md) with household "
                f"{sample.account_number}, building {sample.building.code}, phone {sample.phone}: "
                "its repair owner is the login technician."
            )
        self.stdout.write("Press Ctrl-C to stop.\n")
