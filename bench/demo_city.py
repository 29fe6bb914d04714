"""Benchmark: build the demo city (default 1,000,000 households) on SQLite and PostgreSQL.

Prints, per backend and measured in the same run: the wall time of `build_demo_city`,
the time to insert the same number of household-shaped rows straight into a bare
table with the driver (executemany / COPY), and their ratio. Target: the city in
under 180 s on 2 cores.

    .venv/bin/python bench/demo_city.py [--households N] [--backend sqlite|postgresql|all]
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import in_fresh_database, parse_args, peak_rss_mb, run_per_backend


def raw_insert_seconds(households: int) -> float:
    """Insert `households` pre-generated rows of the same shape into a bare table."""
    from django.db import connection, transaction

    rng = random.Random(1)
    rows = [
        (
            f"{3706000000 + i}",
            i % 20_000 + 1,
            1,
            "101",
            f"芝罘区幸福街道福泰小区{i % 30}号楼1单元101室",
            f"{rng.uniform(45, 140):.2f}",
            "heating",
            "王芳",
            f"138{rng.randrange(10**8):08d}",
            "",
        )
        for i in range(households)
    ]
    columns = "account_number, building_id, entrance, unit, address, heated_area_m2, heating_status, occupant_name, phone, alt_phone"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_raw (account_number varchar(20) UNIQUE NOT NULL, building_id bigint NOT NULL, "
            "entrance smallint NOT NULL, unit varchar(10) NOT NULL, address varchar(240) NOT NULL, "
            "heated_area_m2 decimal(8,2) NOT NULL, heating_status varchar(14) NOT NULL, "
            "occupant_name varchar(64) NOT NULL, phone varchar(20) NOT NULL, alt_phone varchar(20) NOT NULL)"
        )
        cursor.execute("CREATE INDEX bench_raw_building ON bench_raw (building_id)")
        cursor.execute("CREATE INDEX bench_raw_phone ON bench_raw (phone)")
        cursor.execute("CREATE INDEX bench_raw_alt_phone ON bench_raw (alt_phone)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY bench_raw ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO bench_raw ({columns}) VALUES ({', '.join(['%s'] * 10)})", rows
            )
    return time.perf_counter() - started


def measure(households: int) -> dict:
    from wennuan.demo.services import build_demo_city

    started = time.perf_counter()
    stats = build_demo_city(households=households, seed=2020)
    app = time.perf_counter() - started
    peak_app = peak_rss_mb()  # before the baseline holds its own copy of the rows
    raw = raw_insert_seconds(households)
    return {
        "households": households,
        "app_s": app,
        "raw_s": raw,
        "buildings": stats.counts["buildings"],
        "peak_rss_mb": peak_app,
    }


def main() -> None:
    args = parse_args(__doc__)
    if args.child:
        in_fresh_database(args.backend, "wennuan_bench_demo", lambda: measure(args.households))
        return
    print(f"demo city, {args.households:,} households (each backend in its own process)")
    print(
        f"{'backend':<11} {'demo city s':>12} {'raw rows s':>11} {'ratio':>6} {'hh/s':>9} {'peak MB':>8}  target"
    )
    for backend, r in run_per_backend(__file__, args):
        ok = "ok (<180 s)" if r["app_s"] < 180 else "MISSED (>=180 s)"
        print(
            f"{backend:<11} {r['app_s']:>12.1f} {r['raw_s']:>11.1f} {r['app_s'] / r['raw_s']:>6.2f} "
            f"{r['households'] / r['app_s']:>9,.0f} {r['peak_rss_mb']:>8.0f}  {ok}"
        )
    print(
        "ratio = whole demo city (places, staff, zones, households) / bare insert of the household rows alone"
    )


if __name__ == "__main__":
    main()
