"""Benchmark: telemetry ingest over real HTTP against gunicorn, on SQLite and PostgreSQL.

For each backend, on a fresh database with a 20,000-household demo city (41 stations),
in one run:

1. throughput (best of 3 rounds each): the same R readings inserted (a) raw — executemany on SQLite, psycopg COPY
   on PostgreSQL, straight into the readings table — and (b) through the app: POSTs of
   10,000 JSON readings to /api/v1/telemetry/ingest/ (token, parsing, validation per
   reading, curve targets, idempotent insert). Prints rows/s of each and app/raw.
   Goals: >= 0.50 of executemany on SQLite, >= 0.30 of COPY on PostgreSQL.
2. sustained: 3,333 readings/s (one 3,333-reading batch a second) for D seconds; prints
   the lag (send → stored answer) in the first and the last minute: it must not grow.
3. intake under telemetry: resident intake p99 with 4 closed-loop clients, alone and while
   the sustained load runs. Goal: no worse than 2x.

    .venv/bin/python bench/ingest.py [--backend sqlite|postgresql|all] [--quick]

--quick: 20,000 readings, 20 s sustained (a smoke test of the script itself).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, backends, drop_database, fresh_database_url
from intake import PYTHON, SESSION_SCRIPT, Client, closed_loop, django_env, free_port, intake_body

# Throughput is the best of this many rounds, for the raw insert and for the app alike.
ROUNDS = 3

RAW_SCRIPT = (
    f"ROUNDS = {ROUNDS}\n"
    + """
import json, sys, time, django
django.setup()
from datetime import datetime
from django.db import connection, transaction
from wennuan.operations.models import StationReading
from wennuan.operations.services import STATION_COLUMNS
from wennuan.grid.models import Station
ids = dict(Station.objects.values_list("code", "pk"))
# Full-width rows in the app's column order, values as the database takes them, all
# prepared before the clock starts (no outdoor temperature here: no curve target).
rows = []
for r in json.load(sys.stdin):
    moment = datetime.fromisoformat(r["time"])
    if connection.vendor != "postgresql":
        moment = connection.ops.adapt_datetimefield_value(moment)
    rows.append((ids[r["station"]], moment, *(r.get(c) for c in STATION_COLUMNS[2:])))
# The same columns the app writes (the values it stores, nulls included).
columns = [StationReading._meta.get_field(name).column for name in STATION_COLUMNS]
quoted = ", ".join(f'"{c}"' for c in columns)
table = StationReading._meta.db_table
timings = []
for _ in range(ROUNDS):  # best of several: the machine is shared
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', rows)
    timings.append(time.perf_counter() - start)
    StationReading.objects.all().delete()
print(json.dumps({"seconds": min(timings)}))
"""
)

GATEWAY_SCRIPT = """
import django
django.setup()
from wennuan.operations.services import issue_gateway
from wennuan.grid.models import Station
print(issue_gateway(name="bench").token)
print(",".join(Station.objects.order_by("code").values_list("code", flat=True)))
"""


def readings(codes: list[str], count: int, start: datetime) -> list[dict[str, object]]:
    """count readings spread over the stations, one a minute per station from start."""
    out = []
    for i in range(count):
        station = codes[i % len(codes)]
        moment = start + timedelta(minutes=i // len(codes))
        out.append(
            {
                "station": station,
                "time": moment.isoformat(),
                "secondary_supply_c": 50 + (i % 7) * 0.5,
                "secondary_return_c": 40 + (i % 5) * 0.5,
                "flow_t_h": 100 + i % 30,
                "heat_mw": 2.5,
            }
        )
    return out


def post_batch(client: Client, token: str, body: str) -> int:
    return client.request(
        "POST",
        "/api/v1/telemetry/ingest/",
        body,
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, object]:
    name = "wennuan_bench_ingest"
    url = fresh_database_url(backend, name)
    static_root = tempfile.mkdtemp(prefix="wennuan-static-")
    env = django_env(url, static_root)
    script_env = {**env, "DJANGO_SETTINGS_MODULE": "wennuan.settings", "PYTHONPATH": str(ROOT)}
    manage = [PYTHON, str(ROOT / "manage.py")]
    server = None
    try:
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run(
            [*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT
        )
        subprocess.run(
            [*manage, "demo_city", "--households", "20000", "--telemetry-days", "0", "-v0"],
            env=env,
            check=True,
            cwd=ROOT,
        )
        token, codes_line = subprocess.run(
            [PYTHON, "-c", GATEWAY_SCRIPT],
            env=script_env,
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout.split()
        codes = codes_line.split(",")
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        history_start = now - timedelta(days=60)
        # The same readings for both paths (the app's later rounds a few days on, so that
        # each round stores new rows as the raw path does).
        data = readings(codes, args.rows, history_start)
        span = timedelta(minutes=args.rows // len(codes) + 1)
        raw = json.loads(
            subprocess.run(
                [PYTHON, "-c", RAW_SCRIPT],
                input=json.dumps(data),
                env=script_env,
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
        )
        port = free_port()
        log = open(Path(static_root) / "gunicorn.log", "w+")  # noqa: SIM115 - read after the run
        server = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "wennuan.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--timeout", "120", "--log-level", "warning"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        client = Client(port)
        for _ in range(100):
            if client.request("GET", "/healthz") == 200:
                break
            time.sleep(0.1)
        # 1. throughput through the app, one batch after another (bodies encoded beforehand,
        # as the raw path's rows are prepared beforehand); best of ROUNDS
        app_timings = []
        for round_ in range(ROUNDS):
            rows = (
                data if round_ == 0 else readings(codes, args.rows, history_start + span * round_)
            )
            bodies = [json.dumps(rows[i : i + 10_000]) for i in range(0, len(rows), 10_000)]
            started = time.perf_counter()
            for body in bodies:
                status = post_batch(client, token, body)
                assert status == 200, status
            app_timings.append(time.perf_counter() - started)
        app_seconds = min(app_timings)

        # 3a. intake alone
        sessions = json.loads(
            subprocess.run(
                [PYTHON, "-c", SESSION_SCRIPT, "200"],
                env=script_env,
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
        )
        csrf = "c" * 32

        def post_intake(worker: int, n: int) -> bool:
            session = sessions[(worker * 7919 + n) % len(sessions)]
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={session}; csrftoken={csrf}",
            }
            body = intake_body(csrf, f"ingest-{uuid.uuid4().hex}")
            return client.request("POST", "/portal/new/not_warm/", body, headers) == 302

        alone = closed_loop(client, 4, args.intake_seconds, post_intake)

        # 2. sustained 3,333 readings/s, and 3b. intake during it
        lags: list[tuple[float, float]] = []
        stop = threading.Event()
        live_start = datetime.now(UTC) - timedelta(seconds=args.seconds + 5)
        # A fresh minute per second of load: every reading is new (no duplicate shortcuts).
        live_codes = codes

        def sustain() -> None:
            sender = Client(port)
            begin = time.monotonic()
            second = 0
            while not stop.is_set() and second < args.seconds:
                due = begin + second
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                moment = live_start + timedelta(seconds=second)
                batch = [
                    {
                        "station": live_codes[i % len(live_codes)],
                        "time": (moment + timedelta(microseconds=i // len(live_codes))).isoformat(),
                        "secondary_supply_c": 50.0,
                        "secondary_return_c": 40.0,
                        "flow_t_h": 100.0,
                        "heat_mw": 2.5,
                    }
                    for i in range(3_333)
                ]
                status = post_batch(sender, token, json.dumps(batch))
                lags.append(
                    (
                        time.monotonic() - begin,
                        time.monotonic() - due if status == 200 else float("inf"),
                    )
                )
                second += 1

        loader = threading.Thread(target=sustain)
        loader.start()
        time.sleep(min(10, args.seconds / 4))
        loaded = closed_loop(client, 4, args.intake_seconds, post_intake)
        loader.join()
        window = min(60.0, args.seconds / 3)
        first = [lag for at, lag in lags if at < window]
        last = [lag for at, lag in lags if at >= args.seconds - window]
        log.seek(0)
        return {
            "raw_rps": args.rows / raw["seconds"],
            "app_rps": args.rows / app_seconds,
            "sent": len(lags) * 3_333,
            "sustained_seconds": args.seconds,
            "lag_first": statistics.mean(first) if first else float("nan"),
            "lag_last": statistics.mean(last) if last else float("nan"),
            "lag_max": max(lag for _, lag in lags) if lags else float("nan"),
            "alone": alone,
            "loaded": loaded,
            "errors": log.read().count("Traceback"),
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
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=600, help="sustained phase")
    parser.add_argument("--intake-seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.seconds, args.intake_seconds = 20_000, 20, 5.0
    print(f"telemetry ingest over HTTP: gunicorn {args.workers} workers, {os.cpu_count()} cores")
    for backend in backends(args.backend):
        r = run_backend(backend, args)
        goal = 0.30 if backend == "postgresql" else 0.50
        raw_name = "COPY" if backend == "postgresql" else "executemany"
        ratio = float(r["app_rps"]) / float(r["raw_rps"])
        alone, loaded = r["alone"], r["loaded"]
        print(f"\n[{backend}]")
        print(
            f"  raw {raw_name}: {r['raw_rps']:,.0f} rows/s; app HTTP ingest: {r['app_rps']:,.0f} rows/s"
        )
        print(
            f"  app/{raw_name} {ratio:.2f} (goal >= {goal:.2f}: {'met' if ratio >= goal else 'MISSED'})"
        )
        print(
            f"  sustained 3,333 readings/s for {r['sustained_seconds']} s ({r['sent']:,} sent): "
            f"lag first window {float(r['lag_first']) * 1000:.0f} ms, last window {float(r['lag_last']) * 1000:.0f} ms, "
            f"max {float(r['lag_max']) * 1000:.0f} ms"
        )
        p99_ratio = loaded.pct(99) / alone.pct(99)
        print(
            f"  intake p99 alone {alone.pct(99):.0f} ms ({alone.rps:.0f} req/s), under telemetry "
            f"{loaded.pct(99):.0f} ms ({loaded.rps:.0f} req/s): x{p99_ratio:.2f} (goal <= 2: "
            f"{'met' if p99_ratio <= 2 else 'MISSED'})"
        )
        print(f"  server errors in the log: {r['errors']}")


if __name__ == "__main__":
    main()
