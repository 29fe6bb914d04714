"""Publish live station telemetry over MQTT, as the demo city's gateways would.

    python manage.py simulate_stations                      # every station, every 10 s
    python manage.py simulate_stations --fault S0003        # S0003's pump stops
    python manage.py simulate_stations --rounds 1           # one round, then exit

With `make run` running (its `mqtt` process stores what arrives), the operations dashboard
moves; with --fault, the pump-stopped alarm rises within two minutes, and "not warm"
requests from that station's homes then join one network incident.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import paho.mqtt.client as mqtt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from wennuan.demo.telemetry import outdoor_at, station_reading
from wennuan.grid.models import Station
from wennuan.operations.services import STATION_COLUMNS


class Command(BaseCommand):
    help = "Publish live telemetry for every station over MQTT; --fault CODE stops one pump."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds between rounds.")
        parser.add_argument("--rounds", type=int, default=0, help="Stop after N rounds (0: never).")
        parser.add_argument("--fault", default="", help="Station code whose pump stops.")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        stations = list(Station.objects.order_by("code").values_list("pk", "code", "capacity_mw"))
        if not stations:
            raise CommandError("No stations: build the demo city first (make demo).")
        codes = {code for _pk, code, _c in stations}
        if options["fault"] and options["fault"] not in codes:
            raise CommandError(f"No station {options['fault']!r}.")
        rng = random.Random(options["seed"])  # nosec B311  # seeded demo data
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        client.connect(settings.MQTT_HOST, settings.MQTT_PORT)
        client.loop_start()
        names = STATION_COLUMNS[2:]
        rounds = 0
        self.stdout.write(
            f"publishing {len(stations)} stations to {settings.MQTT_HOST}:{settings.MQTT_PORT} "
            f"every {options['interval']:g} s"
            + (f", fault at {options['fault']}" if options["fault"] else "")
        )
        try:
            while options["rounds"] == 0 or rounds < options["rounds"]:
                now = timezone.now()
                outdoor = outdoor_at(now, rng)
                for pk, code, capacity in stations:
                    row = station_reading(
                        pk, now, outdoor, float(capacity), rng, pump_on=code != options["fault"]
                    )
                    reading = {
                        name: value
                        for name, value in zip(names, row[2:], strict=True)
                        if value is not None and name != "target_supply_c"
                    }
                    reading["time"] = now.isoformat()
                    client.publish(
                        f"wennuan/station/{code}/telemetry", json.dumps(reading), qos=1
                    ).wait_for_publish(5)
                rounds += 1
                if options["verbosity"] > 1:
                    self.stdout.write(f"round {rounds} at {timezone.localtime(now):%H:%M:%S}")
                if options["rounds"] == 0 or rounds < options["rounds"]:
                    time.sleep(options["interval"])
        except KeyboardInterrupt:
            pass
        finally:
            client.loop_stop()
            client.disconnect()
        self.stdout.write(f"published {rounds} rounds")
