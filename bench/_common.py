"""Shared set-up for the benchmark scripts: a fresh database per backend, Django configured."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
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
