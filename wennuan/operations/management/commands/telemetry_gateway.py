"""Issue, list and revoke the tokens station gateways push telemetry with."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wennuan.operations.models import Gateway
from wennuan.operations.services import issue_gateway, revoke_gateway


class Command(BaseCommand):
    help = "Telemetry gateways: `create NAME` prints a token once; `list`; `revoke NAME`."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("create").add_argument("name")
        actions.add_parser("list")
        actions.add_parser("revoke").add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            try:
                issued = issue_gateway(name=options["name"])
            except ValueError as refusal:
                raise CommandError(str(refusal)) from refusal
            self.stdout.write(issued.token)  # alone on stdout, for scripts
        elif options["action"] == "list":
            for gateway in Gateway.objects.all():
                state = "revoked" if gateway.revoked_at else "active"
                seen = f"{gateway.last_seen_at:%Y-%m-%d %H:%M}" if gateway.last_seen_at else "never"
                self.stdout.write(f"{gateway.prefix}…  {gateway.name}  {state}, last seen {seen}")
        else:
            found = Gateway.objects.filter(name=options["name"]).first()
            if found is None:
                raise CommandError(f"No gateway named {options['name']!r}.")
            revoke_gateway(gateway=found)
            self.stdout.write(f"Revoked {found.name}.")
