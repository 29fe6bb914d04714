"""Fixtures of the notification tests: a real HTTP SMS gateway on a local port."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

GATEWAY_KEY = "test-gateway-key"


@dataclass
class GatewayRequest:
    """One request the fake gateway received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeSmsGateway:
    """An SMS gateway on 127.0.0.1 that records requests and answers as told.

    ``status`` is the HTTP status it answers with, ``delay`` how long it waits first;
    ``stop()`` closes the port (connections are refused) and ``start()`` reopens it.
    """

    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    requests: list[GatewayRequest] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms/send"

    @property
    def texts(self) -> list[str]:
        return [request.body["text"] for request in self.requests]

    def start(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                gateway.requests.append(
                    GatewayRequest(
                        method="POST",
                        path=self.path,
                        headers={name.lower(): value for name, value in self.headers.items()},
                        body=json.loads(raw.decode("utf-8")),
                    )
                )
                if gateway.delay:
                    time.sleep(gateway.delay)
                answer = json.dumps({"ok": 200 <= gateway.status < 300}).encode()
                self.send_response(gateway.status)
                for name, value in gateway.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def sms_gateway(settings: Any) -> Iterator[FakeSmsGateway]:
    """A running fake gateway, with the settings pointing the SMS transport at it."""
    gateway = FakeSmsGateway()
    gateway.start()
    settings.NOTIFY_SMS_TRANSPORT = "http"
    settings.NOTIFY_SMS_GATEWAY_URL = gateway.url
    settings.NOTIFY_SMS_GATEWAY_KEY = GATEWAY_KEY
    settings.NOTIFY_SMS_TIMEOUT_SECONDS = 5
    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    settings.NOTIFY_MAX_ATTEMPTS = 8
    yield gateway
    gateway.stop()
