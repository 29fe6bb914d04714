"""Issue, list and revoke Open311 API keys from a shell (the back office does the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wennuan.open311.models import ApiKey
from wennuan.open311.services import issue_key, revoke_key


class Command(BaseCommand):
    help = "Open311 API keys: `create NAME` prints a new key once; `list`; `revoke NAME`."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Issue a key and print it (shown only once).")
        create.add_argument("name", help="The integration, e.g. 'Yantai 12345 hotline'.")
        actions.add_parser("list", help="List keys, with when each was last used.")
        revoke = actions.add_parser("revoke", help="Stop a key from filing requests.")
        revoke.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            try:
                issued = issue_key(name=options["name"])
            except ValueError as refusal:
                raise CommandError(str(refusal)) from refusal
            # The key alone on stdout, so that scripts can capture it.
            self.stdout.write(issued.key)
            self.stderr.write(f"Issued for {issued.api_key.name}; it will not be shown again.")
        elif action == "list":
            for key in ApiKey.objects.all():
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                used = (
                    f"last used {key.last_used_at:%Y-%m-%d %H:%M}"
                    if key.last_used_at
                    else "never used"
                )
                self.stdout.write(f"{key.prefix}…  {key.name}  {state}, {used}")
        else:
            found = ApiKey.objects.filter(name=options["name"]).first()
            if found is None:
                raise CommandError(f"No key for an integration named {options['name']!r}.")
            revoke_key(api_key=found)
            self.stdout.write(f"Revoked the key of {found.name}.")
