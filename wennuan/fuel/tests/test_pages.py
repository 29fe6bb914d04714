"""The fuel pages, the Excel export, the uploads and the REST API, with who may do what.
Refused changes write nothing."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wennuan.fuel.models import CoalEntry
from wennuan.fuel.services import record_consumption, record_delivery
from wennuan.grid.tests.factories import make_user
from wennuan.people.choices import Role

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 10)


@pytest.fixture(autouse=True)
def in_december(time_machine):
    time_machine.move_to(datetime(2026, 12, 10, 9, tzinfo=timezone.get_current_timezone()))


@pytest.fixture
def client() -> Client:
    """Pages in English here (the suite checks messages in English); one test reads Chinese."""
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def yard(source):
    record_delivery(
        heat_source=source, day=TODAY - timedelta(days=8), tonnes=1700, note_number="N0", actor=None
    )
    for back in range(1, 8):
        record_consumption(
            heat_source=source, day=TODAY - timedelta(days=back), tonnes=100, actor=None
        )
    return source


def test_managers_see_every_yard_and_field_staff_do_not(client, yard):
    client.force_login(make_user(Role.MANAGER))
    page = client.get(reverse("fuel:company"))
    assert page.status_code == 200
    row = page.context["rows"][0]
    assert (row.source, row.cover.stock_t) == (yard, 1000)
    chinese = Client(headers={"Accept-Language": "zh-hans"})
    chinese.force_login(make_user(Role.DISPATCHER))
    assert "燃煤储备" in chinese.get(reverse("fuel:company")).content.decode()
    client.force_login(make_user(Role.TECHNICIAN))
    assert client.get(reverse("fuel:company")).status_code == 404
    assert client.get(reverse("fuel:source", args=[yard.code])).status_code == 404


def test_the_yard_page_runs_a_scenario_beside_the_presets(client, yard):
    client.force_login(make_user(Role.DISPATCHER))
    page = client.get(
        reverse("fuel:source", args=[yard.code]),
        {"suspend_days": 10, "cold_delta_c": 8, "cold_days": 5},
    )
    assert page.status_code == 200
    covers = page.context["covers"]
    assert [c.scenario.key for c in covers] == ["baseline", "suspend", "cold", "both", "custom"]
    assert page.context["custom"].run_out == TODAY + timedelta(days=10)
    assert 'data-testid="custom-scenario"' in page.content.decode()
    # A nonsense scenario is not run; the page says why.
    page = client.get(reverse("fuel:source", args=[yard.code]), {"efficiency_drop_pct": 99})
    assert page.context["custom"] is None and page.context["scenario_form"].errors


def test_a_delivery_recorded_on_the_page_and_a_duplicate_refused(client, yard):
    client.force_login(make_user(Role.MANAGER))
    url = reverse("fuel:record", args=[yard.code, "delivery"])
    body = {"day": "2026-12-10", "tonnes": "640.5", "note_number": "N1", "supplier": "龙口"}
    assert client.post(url, body).status_code == 302
    assert CoalEntry.objects.get(note_number="N1").tonnes == 640.5
    again = client.post(url, body)
    assert again.status_code == 400
    assert "N1 is already recorded" in again.content.decode()
    assert CoalEntry.objects.filter(note_number="N1").count() == 1


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.AGENT])
def test_who_may_not_keep_the_books_changes_nothing(client, yard, role):
    client.force_login(make_user(role))
    before = CoalEntry.objects.count()
    body = {"day": "2026-12-10", "tonnes": "5", "note_number": "X"}
    assert (
        client.post(reverse("fuel:record", args=[yard.code, "delivery"]), body).status_code == 404
    )
    entry = CoalEntry.objects.first()
    assert entry is not None
    refused = client.post(reverse("fuel:reverse", args=[yard.code, entry.pk]), {"reason": "x"})
    assert refused.status_code == 404
    assert CoalEntry.objects.count() == before


def test_a_reversal_on_the_page_needs_a_reason(client, yard):
    client.force_login(make_user(Role.MANAGER))
    entry = CoalEntry.objects.get(note_number="N0")
    url = reverse("fuel:reverse", args=[yard.code, entry.pk])
    client.post(url, {"reason": ""})
    assert not CoalEntry.objects.filter(reverses=entry).exists()
    client.post(url, {"reason": "booked at the wrong plant"})
    assert CoalEntry.objects.get(reverses=entry).tonnes == -entry.tonnes


def test_the_excel_export_holds_scenarios_forecast_and_ledger(client, yard):
    client.force_login(make_user(Role.MANAGER))
    answer = client.get(reverse("fuel:export", args=[yard.code]), {"suspend_days": 3})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["Scenarios", "Forecast", "Ledger"]
    scenarios = list(book["Scenarios"].values)
    assert len(scenarios) == 1 + 5  # header, four presets and the custom one
    assert scenarios[1][1] == 1000  # stock today
    ledger = list(book["Ledger"].values)
    assert len(ledger) == 1 + 8 and {row[1] for row in ledger[1:]} == {"Delivery", "Consumption"}
    assert len(list(book["Forecast"].values)) == 1 + 30


def test_the_upload_page_lists_bad_rows_and_stores_nothing(client, yard):
    client.force_login(make_user(Role.MANAGER))
    bad = io.BytesIO(b"source,day,tonnes,note_number\nHS09,2026-12-01,-4,Z1\nXX,2026-12-01,4,Z2\n")
    bad.name = "bad.csv"
    page = client.post(reverse("fuel:upload"), {"kind": "deliveries", "file": bad})
    assert page.status_code == 400
    assert len(page.context["errors"]) == 2
    assert not CoalEntry.objects.filter(note_number__in=["Z1", "Z2"]).exists()


def api_for(role: str) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=make_user(role))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_the_api_gives_cover_ledger_and_scenario_forecast(yard):
    client = api_for(Role.MANAGER)
    listed = client.get("/api/v1/fuel/sources/").json()
    assert listed[0]["source"] == "HS09" and listed[0]["days_of_cover"] == pytest.approx(10)
    forecast = client.get(
        "/api/v1/fuel/sources/HS09/forecast/", {"days": 5, "efficiency_drop_pct": 20}
    ).json()
    assert len(forecast["days"]) == 5 and forecast["burn_per_day_t"] == pytest.approx(125)
    assert client.get("/api/v1/fuel/sources/HS09/forecast/", {"days": 0}).status_code == 400
    ledger = client.get("/api/v1/fuel/sources/HS09/ledger/").json()
    assert ledger["count"] == 8


def test_the_api_records_once_per_idempotency_key_and_refuses_bad_entries(yard):
    client = api_for(Role.DISPATCHER)
    url = "/api/v1/fuel/sources/HS09/ledger/"
    body = {"kind": "delivery", "day": "2026-12-10", "tonnes": "300", "note_number": "API-1"}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert CoalEntry.objects.filter(note_number="API-1").count() == 1
    duplicate = client.post(url, body, format="json")
    assert duplicate.status_code == 400 and "API-1" in duplicate.json()["detail"]
    missing = client.post(url, {"kind": "adjustment", "day": "2026-12-10"}, format="json")
    assert missing.status_code == 400 and "counted_tonnes" in missing.json()
    no_note = {"kind": "delivery", "day": "2026-12-10", "tonnes": "5"}
    assert "note_number" in client.post(url, no_note, format="json").json()
    entry = first.json()["id"]
    reversed_ = client.post(f"{url}{entry}/reverse/", {"reason": "test"}, format="json")
    assert reversed_.status_code == 201 and float(reversed_.json()["tonnes"]) == -300
    assert CoalEntry.objects.count() == 8 + 2


@pytest.mark.parametrize(
    ("role", "read", "write"), [(Role.TECHNICIAN, 403, 403), (Role.AGENT, 200, 403)]
)
def test_the_api_keeps_field_staff_out_and_agents_read_only(yard, role, read, write):
    client = api_for(role)
    before = CoalEntry.objects.count()
    assert client.get("/api/v1/fuel/sources/HS09/ledger/").status_code == read
    body = {"kind": "consumption", "day": "2026-12-10", "tonnes": "5"}
    answer = client.post("/api/v1/fuel/sources/HS09/ledger/", body, format="json")
    assert answer.status_code == write
    assert CoalEntry.objects.count() == before


def test_dispatchers_weigh_in_but_only_managers_correct_the_books(client, yard):
    client.force_login(make_user(Role.DISPATCHER))
    entry = CoalEntry.objects.get(note_number="N0")
    before = CoalEntry.objects.count()
    stocktake = {"day": "2026-12-10", "counted_tonnes": "900", "reason": "count"}
    refused = client.post(reverse("fuel:record", args=[yard.code, "stocktake"]), stocktake)
    assert refused.status_code == 404
    refused = client.post(reverse("fuel:reverse", args=[yard.code, entry.pk]), {"reason": "x"})
    assert refused.status_code == 404
    assert client.get(reverse("fuel:upload")).status_code == 404
    assert CoalEntry.objects.count() == before
    burn = {"day": "2026-12-10", "tonnes": "99"}
    assert (
        client.post(reverse("fuel:record", args=[yard.code, "consumption"]), burn).status_code
        == 302
    )
    assert CoalEntry.objects.count() == before + 1


def test_text_in_the_workbook_is_never_a_formula(client, yard):
    record_delivery(
        heat_source=yard,
        day=TODAY,
        tonnes=5,
        note_number="=1+1",
        supplier='=HYPERLINK("http://evil.example","x")',
        actor=None,
    )
    client.force_login(make_user(Role.MANAGER))
    book = load_workbook(io.BytesIO(client.get(reverse("fuel:export", args=[yard.code])).content))
    cells = [c for row in book["Ledger"].iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(c.value == "'=1+1" for c in cells)


def test_the_company_workbook_lists_every_yard(client, yard):
    client.force_login(make_user(Role.DISPATCHER))
    answer = client.get(reverse("fuel:company_export"))
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["Yards", "Stock forecast"]
    yards = list(book["Yards"].values)
    assert len(yards) == 2 and yards[1][0] == "HS09 测试热源厂" and yards[1][1] == 1000
    assert len(list(book["Stock forecast"].values)) == 1 + 30
