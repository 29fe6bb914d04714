"""Benchmark: the household lookup and search on a large city (default 1,000,000 households).

Prints, measured in the same run on the same database: the mean time of
`household_chain` (building, station, heat source, zone, each duty's people) against
a bare primary-key SELECT of one household row, their ratio, the queries per lookup,
and the time of each kind of search.

    .venv/bin/python bench/household_lookup.py [--households N] [--backend sqlite|postgresql|all]
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import in_fresh_database, parse_args, run_per_backend

LOOKUPS = 2_000


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Mean seconds per call."""
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


def measure(households: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wennuan.demo.services import build_demo_city
    from wennuan.grid.models import Household
    from wennuan.grid.selectors import household_chain, search_households
    from wennuan.people.models import User

    build_demo_city(households=households, seed=2020)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    dispatcher = User.objects.get(username="dispatcher")
    rng = random.Random(5)
    accounts = [f"{3706000000 + rng.randrange(households) + 1}" for _ in range(LOOKUPS)]
    ids = list(
        Household.objects.filter(account_number__in=accounts[:200]).values_list("pk", flat=True)
    )
    accounts_it = iter(accounts)
    chain_s = timed(
        lambda: household_chain(user=dispatcher, account_number=next(accounts_it)), LOOKUPS
    )

    ids_it = iter(ids * (LOOKUPS // len(ids) + 1))
    table = Household._meta.db_table

    def bare_select() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [next(ids_it)])
            cursor.fetchone()

    raw_s = timed(bare_select, LOOKUPS)
    with CaptureQueriesContext(connection) as queries:
        household_chain(user=dispatcher, account_number=accounts[0])
    sample = Household.objects.select_related("building__complex__community__street").get(
        account_number=accounts[1]
    )
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
    return {
        "households": households,
        "chain_ms": chain_s * 1000,
        "raw_ms": raw_s * 1000,
        "queries": len(queries),
        "search_ms": search_ms,
    }


def main() -> None:
    args = parse_args(__doc__)
    if args.child:
        in_fresh_database(args.backend, "wennuan_bench_lookup", lambda: measure(args.households))
        return
    print(f"household lookup on {args.households:,} households, {LOOKUPS:,} random lookups")
    for backend, r in run_per_backend(__file__, args):
        print(
            f"\n[{backend}] lookup {r['chain_ms']:.2f} ms in {r['queries']} queries; bare PK select "
            f"{r['raw_ms']:.3f} ms; ratio {r['chain_ms'] / r['raw_ms']:.1f}"
        )
        for label, ms in r["search_ms"].items():
            print(f"  search by {label:<28} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
