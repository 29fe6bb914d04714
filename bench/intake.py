"""Benchmark: resident intake over real HTTP against gunicorn, on SQLite and PostgreSQL.

For each backend, on a fresh database with a demo city, in one run:

1. at a fixed arrival rate (the replay's, ~133/s) for D seconds: a no-database "hello"
   view (/healthz) and the real intake (POST of the portal's "not warm" form by verified
   residents); prints requests/s and p50/p99 latency of each, and intake/hello.
   Goals: PostgreSQL >= 0.45, SQLite >= 0.30, and no "database is locked".
2. the same as fast as C closed-loop clients can go (capacity), with the same ratio.
3. open loop replay: 16,000 complaints (Beijing's worst recorded day) compressed into
   120 s (~133/s); clients retry failures with the same idempotency key. Prints errors
   left after retries, requests lost (acknowledged but not stored) and duplicated.

    .venv/bin/python bench/intake.py [--backend sqlite|postgresql|all] [--quick]

--quick runs 3 s phases and a 10 s replay (a smoke test of the script itself).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, backends, drop_database, fresh_database_url

PYTHON = sys.executable
SESSIONS = 400  # verified residents taking part


@dataclass
class Phase:
    """Latencies and outcomes of one load phase."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    started: float = 0.0
    finished: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, ok: bool) -> None:
        with self.lock:
            if ok:
                self.latencies.append(seconds)
            else:
                self.errors += 1

    @property
    def rps(self) -> float:
        return len(self.latencies) / max(self.finished - self.started, 1e-9)

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """One keep-alive HTTP connection per thread, re-opened after an error."""

    local = threading.local()

    def __init__(self, port: int) -> None:
        self.port = port

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> int:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            self.local.conn = None
            return 0


def django_env(database_url: str, static_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_ROOT=static_root,
        LOG_LEVEL="WARNING",
        NOTIFY_SMS_TRANSPORT="console",
        # Every simulated resident posts from 127.0.0.1: no per-address limit here.
        PORTAL_RATE_PER_MINUTE_IP="0",
    )
    return env


SESSION_SCRIPT = """
import json, os, sys, time, django
django.setup()
from django.contrib.sessions.backends.db import SessionStore
from wennuan.grid.models import Household
keys = []
for household in Household.objects.filter(building__zone__isnull=False).order_by("pk")[: int(sys.argv[1])]:
    session = SessionStore()
    session["portal_household_id"] = household.pk
    session["portal_verified_at"] = time.time() + 86400  # verified for the whole run
    session.create()
    keys.append(session.session_key)
print(json.dumps(keys))
"""

COUNT_SCRIPT = """
import json, sys, django
django.setup()
from wennuan.service.models import ServiceRequest
keys = json.load(sys.stdin)
stored = set()
for start in range(0, len(keys), 900):
    stored |= set(ServiceRequest.objects.filter(idempotency_key__in=keys[start:start + 900]).values_list("idempotency_key", flat=True))
print(json.dumps({"stored": len(stored), "rows": ServiceRequest.objects.filter(idempotency_key__in=list(stored)).count(), "missing": sorted(set(keys) - stored)[:5]}))
"""


def intake_body(csrf: str, key: str) -> str:
    return urlencode(
        {
            "csrfmiddlewaretoken": csrf,
            "attr_indoor_temperature": "15",
            "attr_rooms_affected": "whole_home",
            "description": "bench",
            "idempotency_key": key,
        }
    )


def closed_loop(client: Client, clients: int, seconds: float, make_request) -> Phase:
    phase = Phase()
    stop = time.monotonic() + seconds

    def run(worker: int) -> None:
        n = 0
        while time.monotonic() < stop:
            t0 = time.monotonic()
            ok = make_request(worker, n)
            phase.record(time.monotonic() - t0, ok)
            n += 1

    phase.started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, range(clients)))
    phase.finished = time.monotonic()
    return phase


def open_loop(
    rate: float, seconds: float, send: Callable[[int, str], bool], *, attempts: int = 1
) -> tuple[Phase, list[str], int]:
    """Arrivals at a fixed rate whatever the server does; each retried with its own key.

    Returns the phase, the keys the server acknowledged, and how many retries it took.
    """
    total = int(rate * seconds)
    phase = Phase()
    acknowledged: list[str] = []
    retries = 0
    lock = threading.Lock()

    def submit(i: int) -> None:
        nonlocal retries
        key = f"open-{uuid.uuid4().hex}"
        t0 = time.monotonic()
        for attempt in range(attempts):
            if send(i, key):
                phase.record(time.monotonic() - t0, True)
                with lock:
                    acknowledged.append(key)
                    retries += attempt
                return
            if attempt + 1 < attempts:
                time.sleep(0.2 * (attempt + 1))
        phase.record(time.monotonic() - t0, False)

    phase.started = time.monotonic()
    with ThreadPoolExecutor(96) as pool:
        for i in range(total):
            delay = phase.started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(submit, i)
    phase.finished = time.monotonic()
    return phase, acknowledged, retries


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, object]:
    name = "wennuan_bench_intake"
    url = fresh_database_url(backend, name)
    static_root = tempfile.mkdtemp(prefix="wennuan-static-")
    env = django_env(url, static_root)
    manage = [PYTHON, str(ROOT / "manage.py")]
    server = None
    try:
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run(
            [*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT
        )
        subprocess.run(
            [
                *manage,
                "demo_city",
                "--households",
                str(args.households),
                "--telemetry-days",
                "0",
                "-v0",
            ],
            env=env,
            check=True,
            cwd=ROOT,
        )
        sessions = json.loads(
            subprocess.run(
                [PYTHON, "-c", SESSION_SCRIPT, str(SESSIONS)],
                env={**env, "DJANGO_SETTINGS_MODULE": "wennuan.settings", "PYTHONPATH": str(ROOT)},
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
        )
        port = free_port()
        log = open(Path(static_root) / "gunicorn.log", "w+")  # noqa: SIM115 - read after the run
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "wennuan.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        client = Client(port)
        for _ in range(100):
            if client.request("GET", "/healthz") == 200:
                break
            time.sleep(0.1)
        else:
            log.seek(0)
            raise RuntimeError(f"gunicorn did not come up:\n{log.read()[-3000:]}")
        csrf = "c" * 32

        def post_intake(i: int, key: str) -> bool:
            session = sessions[(i * 7919) % len(sessions)]
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={session}; csrftoken={csrf}",
            }
            return (
                client.request("POST", "/portal/new/not_warm/", intake_body(csrf, key), headers)
                == 302
            )

        def get_hello(i: int, key: str) -> bool:
            return client.request("GET", "/healthz") == 200

        # 1. the same fixed arrival rate for both
        hello_rate, _, _ = open_loop(args.rate, args.seconds, get_hello)
        intake_rate, _, _ = open_loop(args.rate, args.seconds, post_intake)
        # 2. capacity: as fast as C clients can go
        hello = closed_loop(client, args.clients, args.seconds, lambda w, n: get_hello(n, ""))
        intake = closed_loop(
            client,
            args.clients,
            args.seconds,
            lambda w, n: post_intake(w * 100_003 + n, f"load-{uuid.uuid4().hex}"),
        )
        # 3. the replay, with client retries on the same key
        replayed, acknowledged, retries = open_loop(
            args.rate, args.replay_seconds, post_intake, attempts=6
        )
        counted = json.loads(
            subprocess.run(
                [PYTHON, "-c", COUNT_SCRIPT],
                input=json.dumps(acknowledged),
                env={**env, "DJANGO_SETTINGS_MODULE": "wennuan.settings", "PYTHONPATH": str(ROOT)},
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
        )
        log.seek(0)
        locked = log.read().count("database is locked")
        return {
            "backend": backend,
            "hello_rate": hello_rate,
            "intake_rate": intake_rate,
            "hello": hello,
            "intake": intake,
            "replay": replayed,
            "replay_total": int(args.rate * args.replay_seconds),
            "acknowledged": len(acknowledged),
            "stored": counted["stored"],
            "rows": counted["rows"],
            "retries": retries,
            "locked": locked,
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop_database(backend, name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", default="all", choices=["all", "sqlite", "postgresql"])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="gunicorn workers (default: one per core)",
    )
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rate", type=float, default=16_000 / 120)
    parser.add_argument("--replay-seconds", type=float, default=120.0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.replay_seconds, args.households = 3.0, 10.0, 2_000
    print(
        f"intake over HTTP: gunicorn {args.workers} workers, {args.clients} closed-loop clients, {os.cpu_count()} cores"
    )
    for backend in backends(args.backend):
        r = run_backend(backend, args)
        goal = 0.45 if backend == "postgresql" else 0.30
        print(f"\n[{backend}]")
        for label, hello_key, intake_key in (
            (f"at a fixed {args.rate:.0f} arrivals/s", "hello_rate", "intake_rate"),
            (f"capacity, {args.clients} closed-loop clients", "hello", "intake"),
        ):
            hello, intake = r[hello_key], r[intake_key]
            assert isinstance(hello, Phase) and isinstance(intake, Phase)
            ratio = intake.rps / hello.rps
            print(f"  {label}:")
            print(
                f"    hello  {hello.rps:8.1f} req/s  p50 {hello.pct(50):7.1f} ms  p99 {hello.pct(99):7.1f} ms  errors {hello.errors}"
            )
            print(
                f"    intake {intake.rps:8.1f} req/s  p50 {intake.pct(50):7.1f} ms  p99 {intake.pct(99):7.1f} ms  errors {intake.errors}"
            )
            print(
                f"    intake/hello {ratio:.2f} (goal >= {goal:.2f}: {'met' if ratio >= goal else 'MISSED'})"
            )
        print(f"  'database is locked' in the server log: {r['locked']}")
        replayed = r["replay"]
        assert isinstance(replayed, Phase)
        lost = int(r["acknowledged"]) - int(r["stored"])
        duplicated = int(r["rows"]) - int(r["stored"])
        print(
            f"  replay {r['replay_total']} at {args.rate:.0f}/s: done in {replayed.finished - replayed.started:.1f} s, "
            f"p50 {replayed.pct(50):.0f} ms p99 {replayed.pct(99):.0f} ms, errors after retries {replayed.errors}, "
            f"retries {r['retries']}, lost {lost}, duplicated {duplicated}"
        )


if __name__ == "__main__":
    main()
