"""The MQTT telemetry listener behind ``manage.py mqtt_ingest``.

Subscribes to ``wennuan/station/<code>/telemetry`` and ``wennuan/source/<code>/telemetry``
(QoS 1; a payload is one JSON reading or a list of them) and writes what arrives in
batches through ``services.ingest``. Messages are acknowledged to the broker only after
their batch is committed, with a persistent session: if the process dies between receiving
and writing, the broker sends them again (and a reading stored twice is still one row).
paho reconnects by itself, with a back-off of one to thirty seconds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import close_old_connections, connections
from paho.mqtt.enums import CallbackAPIVersion

from wennuan.operations.services import ingest

logger = logging.getLogger(__name__)

TOPICS = ("wennuan/station/+/telemetry", "wennuan/source/+/telemetry")


@dataclass
class Pending:
    """Readings received and not yet written, with the message ids to acknowledge after."""

    readings: list[dict[str, Any]] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)


def readings_of(topic: str, payload: bytes | bytearray) -> list[dict[str, Any]]:
    """The readings of one message, each tagged with the station or source its topic names.

    A payload that is not JSON, or not an object or list of objects, yields one reading
    that ingest will reject (and log) rather than being dropped unseen.
    """
    parts = topic.split("/")
    kind = "station" if parts[1] == "station" else "source"
    code = parts[2]
    try:
        data = json.loads(bytes(payload).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = {"time": None}
    items = data if isinstance(data, list) else [data]
    return [{**item, kind: code} if isinstance(item, dict) else {kind: code} for item in items]


class TelemetryListener:
    """Receives telemetry over MQTT and writes it in batches; ``stop()`` ends ``run()``."""

    def __init__(
        self,
        *,
        host: str | None = None,
        port: int | None = None,
        client_id: str | None = None,
        batch_size: int | None = None,
        batch_seconds: float | None = None,
        persistent: bool = True,
    ) -> None:
        self.host = host or settings.MQTT_HOST
        self.port = port or settings.MQTT_PORT
        self.batch_size = batch_size or settings.MQTT_BATCH_SIZE
        self.batch_seconds = batch_seconds or settings.MQTT_BATCH_SECONDS
        self.pending = Pending()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.flush_now = threading.Event()  # a full batch is waiting
        self.subscribed = threading.Event()
        self.written = 0
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or settings.MQTT_CLIENT_ID,
            # Persistent: the broker keeps our subscriptions and unacknowledged messages while
            # we are away (tests use a throwaway session instead).
            clean_session=not persistent,
            manual_ack=True,
        )
        if settings.MQTT_TLS:
            # The broker's certificate and host name are checked (paho's default context).
            self.client.tls_set(ca_certs=settings.MQTT_TLS_CA_FILE or None)
        if settings.MQTT_USERNAME:
            self.client.username_pw_set(settings.MQTT_USERNAME, settings.MQTT_PASSWORD or None)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            logger.warning("MQTT connection refused: %s", reason)
            return
        client.subscribe([(topic, 1) for topic in TOPICS])
        logger.info("MQTT connected to %s:%s, subscribed to %s", self.host, self.port, TOPICS)
        self.subscribed.set()

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self.subscribed.clear()
        if not self.stopping.is_set():
            logger.warning("MQTT disconnected (%s); reconnecting", reason)

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.pending.readings.extend(readings_of(message.topic, message.payload))
            self.pending.message_ids.append(message.mid)
            full = len(self.pending.readings) >= self.batch_size
        if full:
            self.flush_now.set()  # written by run()'s thread: one database connection

    def flush(self) -> int:
        """Write what is pending, then acknowledge its messages; returns readings written."""
        with self.lock:
            batch, self.pending = self.pending, Pending()
        if not batch.message_ids:
            return 0
        close_old_connections()
        try:
            result = ingest(batch.readings)
        except Exception:
            # Not acknowledged: the broker redelivers these messages after a reconnect.
            logger.exception("MQTT batch of %s readings not written", len(batch.readings))
            self.client.disconnect()
            return 0
        for mid in batch.message_ids:
            self.client.ack(mid, 1)
        for rejected in result.rejected:
            logger.warning("MQTT reading rejected: %s", rejected.reason)
        self.written += result.stored
        return result.stored

    def run(self) -> None:
        """Connect (retrying until the broker answers) and write batches until ``stop()``."""
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        try:
            while not self.stopping.is_set():
                self.flush_now.wait(self.batch_seconds)
                self.flush_now.clear()
                self.flush()
        finally:
            self.flush()
            self.client.disconnect()
            self.client.loop_stop()
            connections.close_all()

    def stop(self) -> None:
        self.stopping.set()
        self.flush_now.set()


def wait_until(condition: Any, timeout: float) -> bool:
    """Poll ``condition`` for up to ``timeout`` seconds (for tests and the command's start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())
