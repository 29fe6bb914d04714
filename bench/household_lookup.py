"""Benchmark: the household lookup and search on a large city (default 1,000,000 households).

Prints, measured in the same run on the same database: the mean time of
`household_chain` (building, station, heat source, zone, each duty's people) against
a bare primary-key SELECT of one household row, their ratio, the queries per lookup,
and the time of each kind of search.

    .venv/bin/python bench/household_lookup.py [--households N] [--backend sqlite|postgresql|all]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import backends, drop_database, fresh_database_url, setup_django

LOOKUPS = 2_000


def timed(fn, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


def child(backend: str, households: int) -> None:
    name = "wennuan_bench_lookup"
    url = fresh_database_url(backend, name)
    try:
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from wennuan.demo.services import build_demo_city
        from wennuan.grid.models import Household
        from wennuan.grid.selectors import household_chain, search_households
        from wennuan.people.models import User

        call_command("migrate", verbosity=0)
        build_demo_city(households=households, seed=2020)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        dispatcher = User.objects.get(username="dispatcher")
        rng = random.Random(5)
        picks = [rng.randrange(households) + 1 for _ in range(LOOKUPS)]
        accounts = [f"{3706000000 + p}" for p in picks]
        ids = list(
            Household.objects.filter(account_number__in=accounts[:200]).values_list("pk", flat=True)
        )
        it = iter(accounts * 2)

        chain_s = timed(lambda: household_chain(user=dispatcher, account_number=next(it)), LOOKUPS)
        ids_it = iter(ids * (LOOKUPS // len(ids) + 1))
        table = Household._meta.db_table

        def raw() -> None:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [next(ids_it)])
                cursor.fetchone()

        raw_s = timed(raw, LOOKUPS)
        with CaptureQueriesContext(connection) as queries:
            household_chain(user=dispatcher, account_number=accounts[0])
        sample = Household.objects.get(account_number=accounts[1])
        searches = {
            "account number": sample.account_number,
            "phone": sample.phone,
            "complex + building + unit": f"{sample.building.complex.name} {sample.building.number} "
            f"{sample.entrance}单元{sample.unit}室",
            "street name (many hits)": sample.building.complex.community.street.name,
            "no match": "不存在的地址",
        }
        search_ms = {
            label: 1000 * timed(lambda q=q: list(search_households(user=dispatcher, query=q)), 20)
            for label, q in searches.items()
        }
        print(
            json.dumps(
                {
                    "backend": backend,
                    "households": households,
                    "chain_ms": chain_s * 1000,
                    "raw_ms": raw_s * 1000,
                    "queries": len(queries),
                    "search_ms": search_ms,
                }
            )
        )
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(backend, name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--backend", default="all", choices=["all", "sqlite", "postgresql"])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.backend, args.households)
        return
    print(f"household lookup on {args.households:,} households, {LOOKUPS:,} random lookups")
    for backend in backends(args.backend):
        out = (
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "--backend",
                    backend,
                    "--households",
                    str(args.households),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        r = json.loads(out)
        print(
            f"\n[{backend}] lookup {r['chain_ms']:.2f} ms in {r['queries']} queries; bare PK select "
            f"{r['raw_ms']:.3f} ms; ratio {r['chain_ms'] / r['raw_ms']:.1f}"
        )
        for label, ms in r["search_ms"].items():
            print(f"  search by {label:<28} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
