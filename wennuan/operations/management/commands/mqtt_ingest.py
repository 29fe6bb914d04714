"""Listen to station and heat-source telemetry over MQTT and store it (the `mqtt` process)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand

from wennuan.operations.mqtt import TOPICS, TelemetryListener


class Command(BaseCommand):
    help = f"Subscribe to {', '.join(TOPICS)} (QoS 1) and store readings in batches."

    def handle(self, *args: Any, **options: Any) -> None:
        listener = TelemetryListener()
        signal.signal(signal.SIGTERM, lambda *_: listener.stop())
        signal.signal(signal.SIGINT, lambda *_: listener.stop())
        self.stdout.write(f"MQTT telemetry listener on {listener.host}:{listener.port}")
        listener.run()
        self.stdout.write(f"stopped; {listener.written} readings written")
