"""Fault injection: kill processes and stop services mid-load, then count what survived.

Everything runs on its own throwaway stack, never on the machine's shared services: a
PostgreSQL cluster initialised in a temporary directory (own port, own socket directory,
run as the ``postgres`` OS user when this script runs as root), its own redis-server (own
port, ``--appendonly yes --appendfsync everysec``, no RDB snapshots: the set-up
docs/deployment.md recommends for the task queue), its own gunicorn, task workers,
schedulers and a fake HTTP SMS gateway in this process. All of it is torn down at the end,
on failure too (try/finally and atexit).

Scenarios (each prints progress lines and ends with a verdict; "nothing lost" is checked by
counting rows in the database):

  --intake      1,000 resident submissions (REST API with Idempotency-Key, and the portal
                form), clients retrying with the same key, while gunicorn workers and task
                workers are SIGKILLed at random moments; then: one request per acknowledged
                key, none lost, no duplicates, every notification delivered (and how often).
  --pg-down     PostgreSQL stopped (-m immediate) mid-load and started again: answers by
                status while it is down, seconds from PostgreSQL up to the first 2xx,
                nothing acknowledged lost, which processes needed a restart.
  --telemetry   10,000-reading ingest batches, the gunicorn worker SIGKILLed at a random
                moment of each: every batch is all present or all absent, and a resend
                stores the absent ones.
  --gateway     N notifications queued while the SMS gateway is down (refused, then 503),
                gateway back: each delivered exactly once; the delay.
  --scheduler   two schedulers, the active one SIGKILLed (and once SIGSTOPped past its
                lease): takeover time, and no periodic task enqueued twice for one period.
  --all         all of the above.

    .venv/bin/python bench/faults.py --all [--quick] [--queue rq|database|both]

--quick: a smoke run (fewer submissions, shorter outages, fewer kills).
--queue: the task queue of --intake (default rq; "both" runs it twice).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import http.client
import itertools
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT
from intake import PYTHON, SESSION_SCRIPT, django_env, free_port

PG_BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
T0 = time.monotonic()
# systemd's RestartSec= in deploy/systemd/wennuan-worker@.service
RESTART_SECONDS = 5.0


def say(message: str) -> None:
    print(f"[{time.monotonic() - T0:7.1f} s] {message}", flush=True)


def verdict(name: str, ok: bool, detail: str) -> bool:
    print(f"\n=== {name}: {'PASS' if ok else 'FAIL'} — {detail}\n", flush=True)
    return ok


# --- the throwaway stack ---------------------------------------------------------------


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


class Stack:
    """Own PostgreSQL, Redis and app processes in one temporary directory."""

    def __init__(self, keep: bool = False) -> None:
        self.keep = keep
        self.tmp = Path(tempfile.mkdtemp(prefix="wennuan-faults-"))
        self.tmp.chmod(0o755)  # the postgres OS user must reach its directory inside
        self.procs: list[Proc] = []
        self.pg_data = self.tmp / "pg" / "data"
        self.pg_port = 0
        self.redis: Proc | None = None
        self.redis_port = 0
        self.static_root = str(self.tmp / "static")
        self.closed = False
        atexit.register(self.close)

    # PostgreSQL -------------------------------------------------------------------------
    def _as_postgres(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)

    def pg_init(self) -> None:
        pg_dir = self.tmp / "pg"
        pg_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(pg_dir, "postgres", "postgres")
        self.pg_port = free_port()
        self._as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(self.pg_data), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--locale", "C.UTF-8", "--no-instructions"]
        )  # fmt: skip
        with (self.pg_data / "postgresql.conf").open("a") as conf:
            # Durability left at PostgreSQL's defaults (fsync, synchronous_commit on,
            # full_page_writes): what production runs and what the verdicts are about.
            conf.write(
                f"\nport = {self.pg_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{pg_dir}'\nmax_connections = 100\n"
                "shared_buffers = 128MB\n"
            )
        self.pg_start()

    def pg_start(self) -> None:
        self._as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.pg_data), "-l", str(self.pg_data.parent / "log"),
             "-w", "-t", "60", "start"]
        )  # fmt: skip

    def pg_stop(self, mode: str = "immediate") -> None:
        self._as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.pg_data), "-m", mode, "-w", "stop"]
        )

    def pg_url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/{name}"

    def sql(self, query: str, params: Any = None, db: str = "postgres") -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.pg_url(db), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    # Redis -------------------------------------------------------------------------------
    def redis_start(self) -> None:
        self.redis_port = free_port()
        data = self.tmp / "redis"
        data.mkdir()
        self.redis = self.spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
             "--dir", str(data)],
            dict(os.environ),
        )  # fmt: skip
        import redis

        for _ in range(100):
            try:
                redis.Redis(port=self.redis_port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def redis_url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/{db}"

    # processes ---------------------------------------------------------------------------
    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Proc:
        proc = Proc(name, argv, env, self.tmp / f"{name}.log")
        self.procs.append(proc)
        return self.start(proc)

    def start(self, proc: Proc) -> Proc:
        with proc.log.open("ab") as log:
            # Its own process group: a kill takes the process and its children (an RQ
            # work-horse), as systemd's cgroup kill does.
            proc.popen = subprocess.Popen(
                proc.argv, env=proc.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return proc

    def stop(self, proc: Proc, sig: int = signal.SIGTERM) -> None:
        if not proc.alive():
            return
        assert proc.popen is not None
        try:
            os.killpg(proc.pid, sig)
            proc.popen.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.popen.wait(timeout=10)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for proc in reversed(self.procs):
            self.stop(proc)
        if self.pg_port:
            with contextlib.suppress(subprocess.CalledProcessError):  # already down
                self.pg_stop("immediate")
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # the command may hold spaces and parentheses: the fields follow the last ")"
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


# --- HTTP ------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # 0: no answer (connection refused or reset)
    headers: dict[str, str]
    body: bytes


def call(
    port: int,
    method: str,
    path: str,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    except (OSError, http.client.HTTPException):
        return Answer(0, {}, b"")
    finally:
        conn.close()


class FakeGateway:
    """An SMS gateway (the protocol of wennuan/notify/tests/conftest.py) counting deliveries
    per notification id. ``mode``: "up" (200), "503" (answers 503), "down" (port closed)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.deliveries: Counter[int] = Counter()
        self.first_delivered: dict[int, float] = {}
        self.refused_503 = 0
        self.lock = threading.Lock()
        self.mode = "down"
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms/send"

    def set(self, mode: str) -> None:
        if mode == "down":
            if self.server is not None:
                self.server.shutdown()
                self.server.server_close()
                self.server = None
        elif self.server is None:
            self._listen()
        self.mode = mode

    def _listen(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 200
                with gateway.lock:
                    if gateway.mode == "503":
                        gateway.refused_503 += 1
                        status = 503
                    else:
                        pk = int(json.loads(raw)["id"])
                        gateway.deliveries[pk] += 1
                        gateway.first_delivered.setdefault(pk, time.monotonic())
                answer = json.dumps({"ok": status == 200}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


# --- the app on the stack ----------------------------------------------------------------


SETUP_SCRIPT = """
import json, django
django.setup()
from rest_framework.authtoken.models import Token
from wennuan.grid.models import Household, Station
from wennuan.people.models import User
from wennuan.operations.services import issue_gateway
token, _ = Token.objects.get_or_create(user=User.objects.get(username="dispatcher"))
accounts = list(Household.objects.filter(building__zone__isnull=False).order_by("pk")
                .values_list("account_number", flat=True)[:400])
print(json.dumps({"token": token.key, "accounts": accounts,
                  "gateway": issue_gateway(name="faults").token,
                  "stations": list(Station.objects.order_by("code").values_list("code", flat=True))}))
"""

QUEUE_SCRIPT = """
import json, sys, django
django.setup()
from django.db import transaction
from wennuan.notify.services import queue_notification
ids = []
for i in range(int(sys.argv[1])):
    with transaction.atomic():
        ids.append(queue_notification(channel="sms", recipient=f"138{i:08d}",
            template="request_received", context={"number": f"F{i:06d}", "category": "bench"},
            related_key=f"faults-{i}").pk)
print(json.dumps(ids))
"""


class App:
    """One scenario's database (a copy of the prepared template) and its processes."""

    def __init__(self, stack: Stack, name: str, **settings: str) -> None:
        self.stack = stack
        self.name = name
        stack.sql(f'DROP DATABASE IF EXISTS "{name}"')
        stack.sql(f'CREATE DATABASE "{name}" TEMPLATE wennuan_base')
        self.env = django_env(stack.pg_url(name), stack.static_root)
        self.env.update(
            API_RATE_PER_MINUTE_USER="0",
            PYTHONUNBUFFERED="1",
            NOTIFY_SMS_TIMEOUT_SECONDS="5",
            **settings,
        )
        self.script_env = {
            **self.env,
            "DJANGO_SETTINGS_MODULE": "wennuan.settings",
            "PYTHONPATH": str(ROOT),
        }
        self.gunicorn: Proc | None = None
        self.port = 0

    def run(self, code: str, *args: str) -> Any:
        out = subprocess.run(
            [PYTHON, "-c", code, *args],
            env=self.script_env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])

    def manage(self, label: str, *args: str) -> Proc:
        return self.stack.spawn(
            f"{self.name}-{label}", [PYTHON, str(ROOT / "manage.py"), *args], self.env
        )

    def start_gunicorn(self, workers: int, timeout: int = 30) -> None:
        self.port = free_port()
        self.gunicorn = self.stack.spawn(
            f"{self.name}-gunicorn",
            [PYTHON, "-m", "gunicorn", "wennuan.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--timeout", str(timeout), "--graceful-timeout", "5",
             "--log-level", "warning"],
            self.env,
        )  # fmt: skip
        for _ in range(300):
            if call(self.port, "GET", "/healthz", timeout=2).status == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not come up: {self.gunicorn.log.read_text()[-2000:]}")

    def gunicorn_workers(self) -> list[int]:
        assert self.gunicorn is not None
        return children(self.gunicorn.pid)

    def sql(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        return self.stack.sql(query, params, db=self.name)


def prepare(stack: Stack, households: int) -> None:
    """The template database: migrated, a small demo city; static files collected once."""
    say("initdb and start a throwaway PostgreSQL cluster")
    stack.pg_init()
    say(f"PostgreSQL {stack.pg_port} up; starting redis-server")
    stack.redis_start()
    say(f"redis {stack.redis_port} up; migrate + demo_city --households {households}")
    stack.sql("CREATE DATABASE wennuan_base")
    env = django_env(stack.pg_url("wennuan_base"), stack.static_root)
    manage = [PYTHON, str(ROOT / "manage.py")]
    for args in (
        ["migrate", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
        ["demo_city", "--households", str(households), "--telemetry-days", "0", "-v0"],
    ):
        subprocess.run([*manage, *args], env=env, cwd=ROOT, check=True)
    # demo_city leaves some queued tasks and outbox rows: start every scenario empty
    stack.sql(
        "DELETE FROM django_tasks_database_dbtaskresult; DELETE FROM notify_notification;"
        " DELETE FROM core_lease; DELETE FROM core_scheduledrun;",
        db="wennuan_base",
    )
    say("template database ready")


# --- scenario 1: intake under worker kills -----------------------------------------------


@dataclass
class Submission:
    key: str
    channel: str  # "api" or "portal"
    acknowledged: bool = False
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)


class Killer(threading.Thread):
    """Calls ``kill`` at random intervals until stopped."""

    def __init__(self, low: float, high: float, kill: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.low, self.high, self.kill = low, high, kill
        self.halt = threading.Event()
        self.count = 0

    def run(self) -> None:
        while not self.halt.wait(random.uniform(self.low, self.high)):
            try:
                self.kill()
                self.count += 1
            except ProcessLookupError:
                pass


def portal_body(key: str) -> str:
    return urlencode(
        {
            "csrfmiddlewaretoken": "c" * 32,
            "attr_indoor_temperature": "15",
            "attr_rooms_affected": "whole_home",
            "description": f"bench {key}",
            "idempotency_key": key,
        }
    )


def submit_all(
    app: App,
    count: int,
    rate: float,
    setup: dict[str, Any],
    sessions: list[str],
    patience: float,
    statuses: Counter[int] | None = None,
) -> list[Submission]:
    """``count`` submissions at ``rate``/s, half API half portal, each retried with its key
    until acknowledged or ``patience`` seconds have passed."""
    submissions: list[Submission] = []
    lock = threading.Lock()
    api_headers = {
        "Authorization": f"Token {setup['token']}",
        "Content-Type": "application/json",
    }

    def one(i: int) -> None:
        key = f"f-{uuid.uuid4().hex}"
        channel = "api" if i % 2 == 0 or not sessions else "portal"
        sub = Submission(key, channel)
        with lock:
            submissions.append(sub)
        give_up = time.monotonic() + patience
        while time.monotonic() < give_up:
            sub.attempts += 1
            if channel == "api":
                body = json.dumps(
                    {
                        "category": "not_warm",
                        "account_number": setup["accounts"][i % len(setup["accounts"])],
                        "attributes": {"indoor_temperature": "15", "rooms_affected": "whole_home"},
                        "description": f"bench {key}",
                        "reporter_phone": f"139{i:08d}",
                    }
                )
                answer = call(
                    app.port,
                    "POST",
                    "/api/v1/requests/",
                    body,
                    {**api_headers, "Idempotency-Key": key},
                )
                ok = answer.status == 201
            else:
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"sessionid={sessions[i % len(sessions)]}; csrftoken={'c' * 32}",
                }
                answer = call(app.port, "POST", "/portal/new/not_warm/", portal_body(key), headers)
                ok = answer.status == 302
            sub.statuses.append(answer.status)
            if statuses is not None:
                with lock:
                    statuses[answer.status] += 1
            if ok:
                sub.acknowledged = True
                return
            if 400 <= answer.status < 500 and answer.status not in (409, 429):
                return  # refused for good: a bench bug, reported below
            time.sleep(min(0.25 * 2 ** min(sub.attempts, 5), 4.0))

    started = time.monotonic()
    with ThreadPoolExecutor(400) as pool:
        for i in range(count):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, i)
            if i and i % max(count // 5, 1) == 0:
                done = sum(s.acknowledged for s in submissions)
                say(f"  submitted {i}/{count}, acknowledged so far {done}")
    return submissions


def count_requests(app: App, submissions: list[Submission]) -> dict[str, Any]:
    """Rows per key (by the key-bearing description), stuck API keys, and the lost."""
    rows = dict(
        app.sql(
            "SELECT substr(description, 7), count(*) FROM service_servicerequest"
            " WHERE description LIKE 'bench f-%%' GROUP BY 1"
        )
    )
    stuck = {k for (k,) in app.sql("SELECT key FROM api_idempotencyrecord WHERE status = 0")}
    acked = [s for s in submissions if s.acknowledged]
    return {
        "submissions": len(submissions),
        "acknowledged": len(acked),
        "lost": sum(1 for s in acked if rows.get(s.key, 0) == 0),
        "duplicated": sum(max(n - 1, 0) for n in rows.values()),
        "stored_not_acknowledged": sum(
            1 for s in submissions if not s.acknowledged and rows.get(s.key, 0)
        ),
        "not_acknowledged": len(submissions) - len(acked),
        "stuck_keys": len(stuck),
        "stuck_keys_stored": sum(1 for k in stuck if rows.get(k, 0)),
        "retried": sum(1 for s in submissions if s.attempts > 1),
        "statuses": dict(Counter(st for s in submissions for st in s.statuses)),
    }


def wait_for_outbox(app: App, gateway: FakeGateway, timeout: float) -> dict[str, Any]:
    """Poll until no notification is pending (or ``timeout``); then compare with the gateway."""
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    while True:
        by_status = dict(app.sql("SELECT status, count(*) FROM notify_notification GROUP BY 1"))
        pending = by_status.get("pending", 0)
        if pending == 0 or time.monotonic() > deadline:
            break
        say(f"  outbox {by_status}; waiting for the sweeps")
        time.sleep(10)
    sent_ids = {pk for (pk,) in app.sql("SELECT id FROM notify_notification WHERE status='sent'")}
    with gateway.lock:
        deliveries = Counter(gateway.deliveries)
    return {
        "outbox": by_status,
        "drained_after_s": round(time.monotonic() - started, 1),
        "sent": len(sent_ids),
        "delivered_once": sum(1 for pk in sent_ids if deliveries[pk] == 1),
        "delivered_twice_or_more": sum(1 for pk in sent_ids if deliveries[pk] > 1),
        "extra_deliveries": sum(n - 1 for n in deliveries.values() if n > 1),
        "sent_never_delivered": sum(1 for pk in sent_ids if deliveries[pk] == 0),
        "delivered_not_marked_sent": sum(1 for pk in deliveries if pk not in sent_ids),
    }


def scenario_intake(stack: Stack, args: argparse.Namespace, queue: str) -> bool:
    name = f"intake_{queue}"
    say(f"--- scenario 1: intake under worker kills, task queue {queue}")
    gateway = FakeGateway()
    gateway.set("up")
    extra = {"TASKS_BACKEND": queue, "NOTIFY_SMS_TRANSPORT": "http"}
    extra["NOTIFY_SMS_GATEWAY_URL"] = gateway.url
    extra["SCHEDULER_TICK_SECONDS"] = "1"
    if queue == "rq":
        extra["TASKS_REDIS_URL"] = stack.redis_url(1)
    app = App(stack, name, **extra)
    setup = app.run(SETUP_SCRIPT)
    sessions = app.run(SESSION_SCRIPT, "200")
    app.start_gunicorn(workers=2)
    workers = [app.manage(f"worker{i}", "worker") for i in (1, 2)]
    app.manage("scheduler", "scheduler")

    def kill_gunicorn_worker() -> None:
        pids = app.gunicorn_workers()
        if pids:
            os.kill(random.choice(pids), signal.SIGKILL)

    def kill_task_worker() -> None:
        proc = random.choice(workers)
        if proc.alive():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.popen.wait()  # type: ignore[union-attr]

            def restart() -> None:
                time.sleep(RESTART_SECONDS)
                if not stack.closed:
                    stack.start(proc)

            threading.Thread(target=restart, daemon=True).start()

    count = 150 if args.quick else 1000
    say(
        f"{count} submissions at {args.rate}/s; killing a gunicorn worker every 5-12 s, a task worker every 8-15 s"
    )
    killers = [Killer(5, 12, kill_gunicorn_worker), Killer(8, 15, kill_task_worker)]
    for killer in killers:
        killer.start()
    started = time.monotonic()
    submissions = submit_all(app, count, args.rate, setup, sessions, patience=60)
    load_seconds = time.monotonic() - started
    for killer in killers:
        killer.halt.set()
    say(
        f"load done in {load_seconds:.0f} s; killed {killers[0].count} gunicorn workers and "
        f"{killers[1].count} task workers; counting"
    )
    time.sleep(RESTART_SECONDS + 1)
    counted = count_requests(app, submissions)
    say(f"requests: {counted}")
    abandoned = 0
    if queue == "rq":
        import redis

        failed_key = "rq:registry:failed:default"
        abandoned = int(redis.Redis.from_url(stack.redis_url(1)).zcard(failed_key))
    outbox = wait_for_outbox(app, gateway, timeout=200 if args.quick else 600)
    numbers = {
        n
        for (n,) in app.sql(
            "SELECT number FROM service_servicerequest WHERE description LIKE 'bench f-%%'"
        )
    }
    received = Counter(
        k
        for (k,) in app.sql(
            "SELECT related_key FROM notify_notification WHERE template='request_received'"
            " AND related_key = ANY(%s)",
            [list(numbers)],
        )
    )
    outbox["requests_without_receipt"] = sum(1 for n in numbers if received[n] == 0)
    outbox["requests_with_two_receipts"] = sum(1 for n in numbers if received[n] > 1)
    outbox["rq_failed_registry"] = abandoned
    say(f"notifications: {outbox}")
    for proc in [*workers, app.gunicorn]:
        if proc is not None:
            stack.stop(proc)
    ok = (
        counted["lost"] == 0
        and counted["duplicated"] == 0
        and counted["stuck_keys"] == 0
        and outbox["outbox"].get("pending", 0) == 0
        and outbox["outbox"].get("failed", 0) == 0
        and outbox["sent_never_delivered"] == 0
        and outbox["requests_without_receipt"] == 0
    )
    return verdict(
        f"intake under kills ({queue})",
        ok,
        f"{counted['acknowledged']}/{counted['submissions']} acknowledged, lost {counted['lost']}, "
        f"duplicated {counted['duplicated']}, stuck keys {counted['stuck_keys']}; "
        f"notifications sent {outbox['sent']}, delivered twice {outbox['delivered_twice_or_more']}, "
        f"pending {outbox['outbox'].get('pending', 0)}, drained {outbox['drained_after_s']} s after the load",
    )


# --- scenario 2: PostgreSQL down mid-load ----------------------------------------------


def scenario_pg_down(stack: Stack, args: argparse.Namespace) -> bool:
    say("--- scenario 2: PostgreSQL stopped (-m immediate) and started mid-load")
    app = App(stack, "pgdown", SCHEDULER_TICK_SECONDS="1")
    setup = app.run(SETUP_SCRIPT)
    sessions = app.run(SESSION_SCRIPT, "100")
    app.start_gunicorn(workers=2)
    worker = app.manage("worker", "worker")
    scheduler = app.manage("scheduler", "scheduler")
    down_for = 8.0 if args.quick else 20.0
    count = int(args.rate * (10 + down_for + 15))
    statuses: Counter[int] = Counter()
    marks: dict[str, float] = {}
    probe_log: list[tuple[float, int]] = []
    sample_503: list[Answer] = []
    halt = threading.Event()

    def probe() -> None:  # a resident's GET of an API page, 10 a second
        headers = {"Authorization": f"Token {setup['token']}"}
        while not halt.is_set():
            answer = call(
                app.port, "GET", "/api/v1/requests/?page_size=1", headers=headers, timeout=10
            )
            probe_log.append((time.monotonic(), answer.status))
            if answer.status == 503 and len(sample_503) < 1:
                sample_503.append(answer)
            time.sleep(0.1)

    def outage() -> None:
        time.sleep(10)
        say("pg_ctl stop -m immediate")
        stack.pg_stop("immediate")
        marks["down"] = time.monotonic()
        time.sleep(down_for)
        stack.pg_start()
        marks["up"] = time.monotonic()
        say("PostgreSQL started again")

    threads = [
        threading.Thread(target=probe, daemon=True),
        threading.Thread(target=outage, daemon=True),
    ]
    for thread in threads:
        thread.start()
    submissions = submit_all(app, count, args.rate, setup, sessions, patience=90, statuses=statuses)
    threads[1].join()
    time.sleep(3)
    halt.set()
    threads[0].join()
    down, up = marks["down"], marks["up"]
    during = Counter(st for t, st in probe_log if down <= t < up)
    first_ok = next((t for t, st in probe_log if t >= up and 200 <= st < 300), None)
    first_api_ok = first_ok - up if first_ok else float("nan")
    after_up = Counter(st for t, st in probe_log if t >= up)
    counted = count_requests(app, submissions)
    alive = {"worker": worker.alive(), "scheduler": scheduler.alive()}
    readyz = call(app.port, "GET", "/readyz").status
    sample = sample_503[0] if sample_503 else None
    say(f"GET answers while PostgreSQL was down: {dict(during)}; after: {dict(after_up)}")
    if sample:
        say(f"a 503: Retry-After={sample.headers.get('retry-after')} body={sample.body[:200]!r}")
    say(f"POST answers overall: {dict(statuses)}")
    say(f"requests: {counted}")
    say(
        f"after the outage: worker alive {alive['worker']}, scheduler alive {alive['scheduler']}, /readyz {readyz}"
    )
    for proc in (worker, scheduler, app.gunicorn):
        if proc is not None:
            stack.stop(proc)
    non_503 = sum(n for st, n in during.items() if st != 503)
    ok = (
        counted["lost"] == 0
        and counted["duplicated"] == 0
        and counted["stuck_keys"] == 0
        and first_ok is not None
        and sample is not None
        and "retry-after" in sample.headers
    )
    return verdict(
        "PostgreSQL down",
        ok,
        f"down {up - down:.1f} s: GETs answered {dict(during)} ({non_503} not 503); first 2xx "
        f"{first_api_ok:.2f} s after PostgreSQL was up, no restart; {counted['acknowledged']}/"
        f"{counted['submissions']} POSTs acknowledged, lost {counted['lost']}, duplicated "
        f"{counted['duplicated']}, stuck keys {counted['stuck_keys']}; worker "
        f"{'survived' if alive['worker'] else 'EXITED'}, scheduler "
        f"{'survived' if alive['scheduler'] else 'EXITED'}",
    )


# --- scenario 3: telemetry batches are all-or-nothing -----------------------------------


def scenario_telemetry(stack: Stack, args: argparse.Namespace) -> bool:
    say("--- scenario 3: a telemetry batch killed midway is all-or-nothing")
    app = App(stack, "telemetry")
    setup = app.run(SETUP_SCRIPT)
    app.start_gunicorn(workers=1, timeout=120)
    codes: list[str] = setup["stations"]
    size = 10_000
    minutes = math.ceil(size / len(codes))
    rounds = 6 if args.quick else 30
    # Every batch in the past (future readings are refused), one span of minutes each.
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(
        minutes=(rounds + 4) * minutes
    )
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {setup['gateway']}"}

    def batch(b: int) -> tuple[str, datetime, datetime]:
        start = base + timedelta(minutes=b * minutes)
        rows = [
            {
                "station": codes[i % len(codes)],
                "time": (start + timedelta(minutes=i // len(codes))).isoformat(),
                "secondary_supply_c": 50 + (i % 7) * 0.5,
                "secondary_return_c": 40 + (i % 5) * 0.5,
                "flow_t_h": 100 + i % 30,
                "heat_mw": 2.5,
            }
            for i in range(size)
        ]
        return json.dumps(rows), start, start + timedelta(minutes=minutes)

    def stored(start: datetime, end: datetime) -> int:
        return int(
            app.sql(
                "SELECT count(*) FROM operations_stationreading WHERE time >= %s AND time < %s",
                [start, end],
            )[0][0]
        )

    timings = []
    for b in range(3):
        body, _, _ = batch(b)
        t = time.monotonic()
        assert (
            call(app.port, "POST", "/api/v1/telemetry/ingest/", body, headers, timeout=120).status
            == 200
        )
        timings.append(time.monotonic() - t)
    typical = statistics.median(timings)
    say(
        f"a {size}-reading batch takes {typical:.2f} s uninterrupted; now killing the worker mid-batch"
    )
    outcome: Counter[str] = Counter()
    killed: list[int] = []
    for b in range(3, 3 + rounds):
        body, start, end = batch(b)
        result: list[int] = []
        pids = app.gunicorn_workers()
        sender = threading.Thread(
            target=lambda body=body, result=result: result.append(
                call(
                    app.port, "POST", "/api/v1/telemetry/ingest/", body, headers, timeout=120
                ).status
            )
        )
        sender.start()
        time.sleep(random.uniform(0.02, 1.5 * typical))
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        sender.join()
        n = stored(start, end)
        state = "all" if n == size else "none" if n == 0 else "PARTIAL"
        outcome[f"{state} (answer {result[0]})"] += 1
        if state != "all":
            killed.append(b)
        for _ in range(300):  # gunicorn respawns the worker
            if call(app.port, "GET", "/healthz", timeout=2).status == 200:
                break
            time.sleep(0.1)
    say(f"after {rounds} killed batches: {dict(outcome)}")
    resent: Counter[str] = Counter()
    for b in killed:
        body, start, end = batch(b)
        status = call(
            app.port, "POST", "/api/v1/telemetry/ingest/", body, headers, timeout=120
        ).status
        resent[f"{'all' if stored(start, end) == size else 'NOT ALL'} (answer {status})"] += 1
    say(f"resent the {len(killed)} absent batches: {dict(resent)}")
    if app.gunicorn is not None:
        stack.stop(app.gunicorn)
    partial = sum(n for k, n in outcome.items() if k.startswith("PARTIAL"))
    ok = partial == 0 and all(k.startswith("all") for k in resent)
    return verdict(
        "telemetry all-or-nothing",
        ok,
        f"{rounds} batches of {size} killed at random points: {dict(outcome)}; partial {partial}; "
        f"resent absent ones: {dict(resent)}",
    )


# --- scenario 4: notifications survive a gateway outage -----------------------------------


def scenario_gateway(stack: Stack, args: argparse.Namespace) -> bool:
    say("--- scenario 4: notifications through an SMS gateway outage")
    gateway = FakeGateway()  # down: connections refused
    app = App(
        stack,
        "gateway",
        TASKS_BACKEND="rq",
        TASKS_REDIS_URL=stack.redis_url(4),
        NOTIFY_SMS_TRANSPORT="http",
        NOTIFY_SMS_GATEWAY_URL=gateway.url,
        SCHEDULER_TICK_SECONDS="1",
    )
    workers = [app.manage(f"worker{i}", "worker") for i in (1, 2)]
    app.manage("scheduler", "scheduler")
    count = 100 if args.quick else 500
    outage = 30.0 if args.quick else 60.0
    say(f"gateway down (connection refused); queueing {count} SMS")
    ids = app.run(QUEUE_SCRIPT, str(count))
    time.sleep(outage / 2)
    say("gateway answering 503")
    gateway.set("503")
    time.sleep(outage / 2)
    gateway.set("up")
    back = time.monotonic()
    attempts_during = dict(
        app.sql("SELECT attempts, count(*) FROM notify_notification GROUP BY 1 ORDER BY 1")
    )
    say(
        f"gateway back after {outage:.0f} s (attempts so far: {attempts_during}; 503s answered {gateway.refused_503})"
    )
    outbox = wait_for_outbox(app, gateway, timeout=200 if args.quick else 900)
    firsts = sorted(t - back for pk, t in gateway.first_delivered.items() if pk in set(ids))
    delay = {
        "first": round(firsts[0], 1) if firsts else None,
        "median": round(statistics.median(firsts), 1) if firsts else None,
        "last": round(firsts[-1], 1) if firsts else None,
    }
    say(f"notifications: {outbox}; delivery after the gateway came back (s): {delay}")
    for proc in workers:
        stack.stop(proc)
    mine = set(ids)
    with gateway.lock:
        mine_once = sum(1 for pk in mine if gateway.deliveries[pk] == 1)
    mine_sent = app.sql(
        "SELECT count(*) FROM notify_notification WHERE status='sent' AND id = ANY(%s)", [ids]
    )[0][0]
    say(f"of the {count} queued here: sent {mine_sent}, delivered exactly once {mine_once}")
    ok = (
        mine_sent == count
        and mine_once == count
        and outbox["delivered_twice_or_more"] == 0
        and outbox["delivered_not_marked_sent"] == 0
    )
    return verdict(
        "gateway outage",
        ok,
        f"{count} queued, {outage:.0f} s outage: sent {outbox['sent']}, delivered exactly once "
        f"{outbox['delivered_once']}, twice or more {outbox['delivered_twice_or_more']}; after the "
        f"gateway came back: first {delay['first']} s, median {delay['median']} s, last {delay['last']} s",
    )


# --- scenario 5: scheduler failover --------------------------------------------------------


def scenario_scheduler(stack: Stack, args: argparse.Namespace) -> bool:
    lease, tick = 5, 1
    say(f"--- scenario 5: scheduler failover (lease {lease} s, tick {tick} s, database queue)")
    app = App(
        stack, "scheduler", SCHEDULER_LEASE_SECONDS=str(lease), SCHEDULER_TICK_SECONDS=str(tick)
    )
    schedulers = [app.manage(f"scheduler{i}", "scheduler") for i in (1, 2)]
    stack_started = time.monotonic()

    def holder_pid() -> int | None:
        rows = app.sql("SELECT holder, expires_at > now() FROM core_lease WHERE name='scheduler'")
        if not rows or not rows[0][1]:
            return None
        return int(rows[0][0].split(":")[1])

    def wait_holder(not_pid: int | None, limit: float) -> tuple[int | None, float]:
        t = time.monotonic()
        while time.monotonic() - t < limit:
            pid = holder_pid()
            if pid is not None and pid != not_pid:
                return pid, time.monotonic() - t
            time.sleep(0.05)
        return None, float("nan")

    rounds = 2 if args.quick else 6
    takeovers: list[tuple[str, float]] = []
    pid, _ = wait_holder(None, 30)
    for r in range(rounds):
        time.sleep(random.uniform(3, 8 if args.quick else 25))
        active = next((p for p in schedulers if p.alive() and p.pid == pid), None)
        if active is None:
            pid, _ = wait_holder(None, 30)
            continue
        how = "SIGSTOP" if r == 1 else "SIGKILL"
        if how == "SIGKILL":
            os.killpg(active.pid, signal.SIGKILL)
            active.popen.wait()  # type: ignore[union-attr]
        else:
            os.killpg(active.pid, signal.SIGSTOP)
        new_pid, seconds = wait_holder(pid, 60)
        takeovers.append((how, seconds))
        say(
            f"round {r + 1}: {how} of the active scheduler (pid {pid}); pid {new_pid} took over in {seconds:.2f} s"
        )
        if how == "SIGSTOP":
            time.sleep(lease)  # the paused one wakes believing it may hold the lease
            os.killpg(active.pid, signal.SIGCONT)
            say("  the paused scheduler continued")
        else:
            stack.start(active)  # systemd restarts it; it becomes the standby
        pid = new_pid
    # Every minute job must have run a few periods: stay until at least 150 s have passed.
    remaining = (40 if args.quick else 150) - (time.monotonic() - stack_started)
    if remaining > 0:
        say(f"letting the schedulers run {remaining:.0f} s more")
        time.sleep(remaining)
    for proc in schedulers:
        stack.stop(proc)
    from_schedule = subprocess.run(
        [PYTHON, "-c", "import django,json;django.setup();from wennuan.core.schedule import SCHEDULE;"
         "print(json.dumps([[j.name,j.task_path,j.every.total_seconds() if j.every else None] for j in SCHEDULE]))"],
        env=app.script_env, cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    jobs = json.loads(from_schedule.strip().splitlines()[-1])
    rows = app.sql(
        "SELECT task_path, enqueued_at FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at"
    )
    by_path: dict[str, list[datetime]] = {}
    for path, at in rows:
        by_path.setdefault(path, []).append(at)
    twice = []
    for name, path, every in jobs:
        times = by_path.get(path, [])
        if every is None:
            if len(times) > 1:
                twice.append(f"{name}: {len(times)} daily runs")
        else:
            gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
            short = [g for g in gaps if g < every - tick]
            if short:
                twice.append(f"{name}: {len(short)} gaps < {every} s ({min(short):.1f} s)")
    logged = sum(p.log.read_text().count("enqueued ") for p in schedulers)
    enqueued = len(rows)
    claimed = dict(app.sql("SELECT name, last_enqueued_at FROM core_scheduledrun"))
    minute_jobs = [name for name, _, every in jobs if every == 60]
    periods = {name: len(by_path.get(path, [])) for name, path, every in jobs if every == 60}
    worst = max((s for _, s in takeovers if s == s), default=float("nan"))
    say(
        f"enqueued {enqueued} tasks ({logged} 'enqueued' lines logged by the schedulers); "
        f"periods of the minute jobs: {periods}; jobs claimed {len(claimed)}/{len(jobs)}"
    )
    ok = (
        not twice
        and worst <= lease + tick + 1
        and (args.quick or all(periods[n] >= 2 for n in minute_jobs))
    )
    return verdict(
        "scheduler failover",
        ok,
        f"takeovers {', '.join(f'{how} {s:.2f} s' for how, s in takeovers)} (lease {lease} s + "
        f"tick {tick} s); enqueued twice for one period: {twice or 'none'}",
    )


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for flag in ("intake", "pg-down", "telemetry", "gateway", "scheduler", "all"):
        parser.add_argument(f"--{flag}", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--queue", default="rq", choices=["rq", "database", "both"])
    parser.add_argument("--rate", type=float, default=15.0, help="submissions per second")
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    chosen = [
        f
        for f in ("intake", "pg_down", "telemetry", "gateway", "scheduler")
        if args.all or getattr(args, f)
    ]
    if not chosen:
        parser.error("choose a scenario (or --all)")
    stack = Stack(keep=args.keep)
    results: dict[str, bool] = {}
    try:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        prepare(stack, args.households)
        for scenario in chosen:
            if scenario == "intake":
                for queue in ["rq", "database"] if args.queue == "both" else [args.queue]:
                    results[f"intake ({queue})"] = scenario_intake(stack, args, queue)
            else:
                results[scenario] = globals()[f"scenario_{scenario}"](stack, args)
    finally:
        if args.keep:
            say(f"logs kept in {stack.tmp}")
        stack.close()
    print("summary: " + ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in results.items()))
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
