"""Benchmark: the staff pages on a city-sized database, against a primary-key read.

Needs a database with the demo city and a season of telemetry loaded, e.g.

    createdb -h 127.0.0.1 -U postgres wennuan_scale
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wennuan_scale .venv/bin/python manage.py migrate
    DATABASE_URL=… .venv/bin/python manage.py demo_city --households 1000000 --telemetry-days 0
    DATABASE_URL=… .venv/bin/python manage.py demo_telemetry --days 150
    DATABASE_URL=… .venv/bin/python bench/pages.py [--requests 200] [--only network,dispatch]

Every page is requested through Django's test Client (the whole middleware stack, session,
login, template), logged in as the demo role that uses it, N times after a warm-up, round
robin (one request of every page per round, so the shared machine's bursts of load fall on
all alike); printed are p50 and p95 of each, its queries, and p95 against the p95 of two
baselines measured in the same rounds: a primary-key read through the ORM (``Household.objects.get(pk=…)``) and a
trivial view that does that read behind the same middleware and login ("pk view").
Goal: every page's p95 within 10× the pk view's. The database is only read, except that a
stored briefing for yesterday is generated first when there is none (as the morning job
does).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_mb, setup_django

GOAL = 10.0


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def install_pk_view() -> None:
    """The project's URLs plus one trivial view: a logged-in primary-key read."""
    from django.conf import settings
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    import wennuan.urls
    from wennuan.grid.models import Household

    @login_required
    def pk_view(request: object, pk: int) -> HttpResponse:
        household = Household.objects.get(pk=pk)
        return HttpResponse(household.account_number)

    module = types.ModuleType("bench_pages_urls")
    module.urlpatterns = [path("bench/pk/<int:pk>/", pk_view), *wennuan.urls.urlpatterns]  # type: ignore[attr-defined]
    module.handler500 = wennuan.urls.handler500  # type: ignore[attr-defined]
    sys.modules["bench_pages_urls"] = module
    settings.ROOT_URLCONF = "bench_pages_urls"
    clear_url_caches()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--only",
        default="",
        metavar="SUBSTRING[,SUBSTRING…]",
        help="time only the pages whose label contains one of these (comma list, case-insensitive;"
        " e.g. --only network or --only 'dispatch,API'); the baselines are always timed",
    )
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url or DATABASE_URL (a database with the demo city)")
    setup_django(args.database_url)

    from datetime import timedelta

    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from wennuan.grid.models import Household, Station
    from wennuan.operations.models import StationHour
    from wennuan.people.models import User
    from wennuan.reports.models import Briefing
    from wennuan.reports.services import generate_briefing
    from wennuan.service.models import ServiceRequest

    # The test Client's host is allowed. Not setup_test_environment(): it wraps every template
    # render to send a signal, and the Client then copies the context of each for its
    # assertions; a page of 25 rows paid ~10 ms for that, which no real request does.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Pages render without collectstatic having run (as in the tests): plain static storage.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    install_pk_view()
    households = Household.objects.count()  # once, for the header
    requests_total = ServiceRequest.objects.count()
    hours_total = StationHour.objects.count()
    print(
        f"pages on {connection.vendor}: {households:,} households, {requests_total:,} requests, "
        f"{hours_total:,} station hours; {args.requests} timed requests each after "
        f"{args.warmup} warm-up"
    )
    yesterday = timezone.localdate() - timedelta(days=1)
    if not Briefing.objects.filter(day=yesterday).exists():
        generate_briefing(day=yesterday, actor=None)
        print(f"(stored the briefing of {yesterday}, as the morning job does)")

    rng = random.Random(9)
    top = Household.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    pks = [rng.randint(1, top) for _ in range(args.requests + args.warmup)]
    existing = set(Household.objects.filter(pk__in=pks).values_list("pk", flat=True))
    pks = [pk for pk in pks if pk in existing] or [top]
    sample = (
        Household.objects.select_related("building__complex__community__street")
        .filter(pk=pks[0])
        .get()
    )
    busy = (
        ServiceRequest.objects.filter(station__isnull=False)
        .values("station_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("station_id", flat=True)
        .first()
    ) or Station.objects.order_by("pk").values_list("pk", flat=True).first()

    clients: dict[str, Client] = {}

    def client(role: str) -> Client:
        if role not in clients:
            clients[role] = Client()
            clients[role].force_login(User.objects.get(username=role))
        return clients[role]

    pages: list[tuple[str, str, str, dict[str, str]]] = [
        # label, role, url, extra headers
        ("dispatch board", "dispatcher", "/service/", {}),
        ("dispatch board (htmx refresh)", "dispatcher", "/service/", {"HX-Request": "true"}),
        ("all requests", "dispatcher", "/service/all/", {}),
        ("my work", "technician", "/service/my/", {}),
        (
            "search: address fragment",
            "agent",
            f"/grid/households/?q={sample.building.complex.community.street.name}",
            {},
        ),
        (
            "search: complex+building+unit",
            "agent",
            f"/grid/households/?q={sample.building.complex.name} {sample.building.number} "
            f"{sample.entrance}单元{sample.unit}室",
            {},
        ),
        ("search: account number", "agent", f"/grid/households/?q={sample.account_number}", {}),
        ("search: phone", "agent", f"/grid/households/?q={sample.phone}", {}),
        ("search: no match", "agent", "/grid/households/?q=不存在的地址", {}),
        ("station dashboard (busy)", "dispatcher", f"/operations/stations/{busy}/", {}),
        ("network dashboard", "dispatcher", "/operations/", {}),
        ("network (htmx refresh)", "dispatcher", "/operations/", {"HX-Request": "true"}),
        ("daily briefing (stored)", "manager", "/reports/briefing/", {}),
        ("station list", "dispatcher", "/grid/stations/", {}),
        ("zone list", "dispatcher", "/grid/zones/", {}),
        ("API requests", "dispatcher", "/api/v1/requests/", {}),
        ("API households", "agent", "/api/v1/households/", {}),
        ("API stations", "dispatcher", "/api/v1/stations/", {}),
    ]
    only = [part.strip().lower() for part in args.only.split(",") if part.strip()]

    pk_iter = itertools.cycle(pks)

    def orm_pk() -> None:
        Household.objects.get(pk=next(pk_iter))

    base_client = client("dispatcher")

    def pk_view() -> None:
        response = base_client.get(f"/bench/pk/{next(pk_iter)}/")
        assert response.status_code == 200, response.status_code

    chosen = [page for page in pages if not only or any(part in page[0].lower() for part in only)]
    if not chosen:
        parser.error(
            f"--only {args.only!r} matches no page: {', '.join(page[0] for page in pages)}"
        )
    gets: dict[str, Callable[[], None]] = {"ORM pk read": orm_pk, "pk view": pk_view}
    queries_of: dict[str, int] = {"ORM pk read": 1}
    for label, role, url, headers in chosen:
        c = client(role)

        def get(c: Client = c, url: str = url, headers: dict[str, str] = headers) -> None:
            response = c.get(url, headers=headers)
            assert response.status_code in (200, 302), (url, response.status_code)

        gets[label] = get
        connection.queries_log.clear()  # each request resets it: count from empty
        with CaptureQueriesContext(connection) as queries:
            get()
        queries_of[label] = len(queries)  # now: the next request empties the log it reads
    # Round robin: every page and both baselines are timed once per round, so that the
    # shared machine's bursts of load fall on all of them alike.
    times: dict[str, list[float]] = {label: [] for label in gets}
    for round_ in range(args.warmup + args.requests):
        for label, fn in gets.items():
            started = time.perf_counter()
            fn()
            if round_ >= args.warmup:
                times[label].append((time.perf_counter() - started) * 1000)
    orm95, view95 = p(times["ORM pk read"], 0.95), p(times["pk view"], 0.95)
    print(f"\n{'page':<34}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'/ORM pk':>9}{'/pk view':>9}")
    missed = []
    for label, observed in times.items():
        p95 = p(observed, 0.95)
        ratio = p95 / view95
        if label not in ("ORM pk read", "pk view") and ratio > GOAL:
            missed.append(label)
        print(
            f"{label:<34}{p(observed, 0.5):9.2f}{p95:9.2f}{queries_of.get(label, ''):>9}"
            f"{p95 / orm95:9.1f}{ratio:9.2f}"
        )
    print(
        f"\ngoal: p95 <= {GOAL:.0f}x the pk view's p95 ({GOAL * view95:.1f} ms): "
        + (f"missed by {', '.join(missed)}" if missed else "met by every page")
    )
    spread = statistics.pstdev(times["pk view"])
    print(f"spread of the pk view: stdev {spread:.2f} ms; peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
