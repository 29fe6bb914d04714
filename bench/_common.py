"""Shared set-up for the benchmark scripts: a fresh database per backend, Django configured."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def pg_reachable() -> bool:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "db_reachable.py"), f"{PG_SERVER}/postgres"],
        capture_output=True,
    )
    return result.returncode == 0


def fresh_database_url(backend: str, name: str) -> str:
    """A new, empty database for one benchmark run (SQLite file, or a PostgreSQL database)."""
    if backend == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="wennuan-bench-")) / f"{name}.sqlite3"
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def drop_database(backend: str, name: str) -> None:
    if backend != "postgresql":
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wennuan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def backends(requested: str) -> list[str]:
    if requested != "all":
        return [requested]
    return ["sqlite", "postgresql"] if pg_reachable() else ["sqlite"]


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_args(doc: str) -> argparse.Namespace:
    """The options every benchmark takes: city size and backend."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--backend", default="all", choices=["all", "sqlite", "postgresql"])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def run_per_backend(script: str, args: argparse.Namespace) -> Iterator[tuple[str, dict]]:
    """Run the script's child mode once per backend, each in a fresh process, yielding its JSON."""
    for backend in backends(args.backend):
        command = [
            sys.executable,
            script,
            "--child",
            "--backend",
            backend,
            "--households",
            str(args.households),
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        yield backend, json.loads(out.strip().splitlines()[-1])


def in_fresh_database(backend: str, name: str, measure: Callable[[], dict]) -> None:
    """Configure Django on a new database, migrate, run ``measure``, print its JSON, drop the database."""
    url = fresh_database_url(backend, name)
    try:
        setup_django(url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(json.dumps({"backend": backend, **measure()}))
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(backend, name)
