"""The coal ledger: units, balances, reversals, stocktakes, refusals that change nothing,
consumption from telemetry, and the CSV uploads."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from wennuan.fuel import units
from wennuan.fuel.choices import DeliveryStatus, EntryKind, Origin, WeatherKind
from wennuan.fuel.importing import import_deliveries, import_weather
from wennuan.fuel.models import CoalEntry, ExpectedDelivery, WeatherDay
from wennuan.fuel.services import (
    FuelRefused,
    balance,
    consumption_from_telemetry,
    expect_delivery,
    observed_days_from_telemetry,
    record_consumption,
    record_delivery,
    record_stocktake,
    reverse_entry,
)
from wennuan.grid.importing import ImportFailed
from wennuan.grid.tests.factories import make_user
from wennuan.people.choices import Role

TODAY = date(2026, 11, 29)


@pytest.fixture(autouse=True)
def on_a_november_morning(time_machine):
    """Every test runs at 10:00 on TODAY (local time): "the future" is then fixed."""
    time_machine.move_to(datetime(2026, 11, 29, 10, tzinfo=timezone.get_current_timezone()))


def test_unit_conversions_against_hand_computed_values():
    # 1 tce = 29.3076 GJ; 1 MWh = 3.6 GJ; raw coal at 20.934 MJ/kg: 1 t = 20.934 GJ.
    assert units.tce_to_gj(1) == pytest.approx(29.3076)
    assert units.gj_to_mwh(36) == pytest.approx(10)
    assert units.mwh_to_gj(10) == pytest.approx(36)
    assert units.coal_to_gj(100, 20.934) == pytest.approx(2093.4)
    assert units.coal_to_tce(1, 20.934) == pytest.approx(20.934 / 29.3076)  # 0.7143 tce
    assert units.gj_to_coal(units.coal_to_gj(7, 18.5), 18.5) == pytest.approx(7)
    # 1,000 MWh of heat through an 80 % boiler: 3,600 GJ / 0.8 = 4,500 GJ = 4,500 / 20 t.
    assert units.coal_for_heat(1000, lhv_mj_kg=20, efficiency=0.8) == pytest.approx(225)
    with pytest.raises(ValueError):
        units.coal_for_heat(1, lhv_mj_kg=20, efficiency=0)
    with pytest.raises(ValueError):
        units.coal_to_gj(1, 0)


@pytest.mark.django_db
def test_balance_is_the_sum_up_to_a_day_and_a_reversal_cancels_without_editing(source):
    clerk = make_user(Role.MANAGER)
    first = record_delivery(
        heat_source=source,
        day=TODAY - timedelta(days=3),
        tonnes="1000",
        note_number="A1",
        actor=clerk,
    )
    record_consumption(
        heat_source=source, day=TODAY - timedelta(days=2), tonnes="120.5", actor=clerk
    )
    wrong = record_delivery(
        heat_source=source,
        day=TODAY - timedelta(days=1),
        tonnes="900",
        note_number="A2",
        actor=clerk,
    )
    assert balance(source, on=TODAY - timedelta(days=3)) == Decimal("1000")
    assert balance(source, on=TODAY) == Decimal("1779.5")
    reversal = reverse_entry(entry=wrong, reason="weighbridge double count", actor=clerk)
    assert (reversal.kind, reversal.tonnes, reversal.day) == (
        EntryKind.REVERSAL,
        Decimal("-900"),
        wrong.day,
    )
    wrong.refresh_from_db()
    assert wrong.tonnes == Decimal("900") and wrong.is_reversed  # history kept as it was
    assert balance(source, on=TODAY) == Decimal("879.5")
    # The same note can now be recorded right; the first note still cannot.
    record_delivery(heat_source=source, day=TODAY, tonnes="90", note_number="A2", actor=clerk)
    with pytest.raises(FuelRefused, match="A1 is already recorded"):
        record_delivery(heat_source=source, day=TODAY, tonnes="90", note_number="A1", actor=clerk)
    assert first.created_by == clerk and first.created_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tonnes", "extra", "message"),
    [
        ("-5", {}, "more than 0"),
        ("0", {}, "more than 0"),
        ("abc", {}, "not a number"),
        ("200000", {}, "100,000"),
        ("10", {"lhv_mj_kg": "60"}, "lower heating value"),
        ("10", {"moisture_pct": "-1"}, "moisture"),
        ("10", {"day": TODAY + timedelta(days=2)}, "future"),
    ],
)
def test_a_bad_delivery_is_refused_and_writes_nothing(source, tonnes, extra, message):
    arguments = {"heat_source": source, "day": TODAY, "tonnes": tonnes, "actor": None, **extra}
    with pytest.raises(FuelRefused, match=message):
        record_delivery(**arguments)
    assert not CoalEntry.objects.exists()


@pytest.mark.django_db
def test_reversals_stocktakes_and_consumption_refuse_what_would_corrupt_the_books(source):
    entry = record_consumption(
        heat_source=source, day=TODAY - timedelta(days=1), tonnes="50", actor=None
    )
    with pytest.raises(FuelRefused, match="already recorded"):
        record_consumption(heat_source=source, day=entry.day, tonnes="51", actor=None)
    with pytest.raises(FuelRefused, match="why"):
        reverse_entry(entry=entry, reason="  ", actor=None)
    reversal = reverse_entry(entry=entry, reason="meter fault", actor=None)
    with pytest.raises(FuelRefused, match="already reversed"):
        reverse_entry(entry=entry, reason="again", actor=None)
    with pytest.raises(FuelRefused, match="cannot be reversed"):
        reverse_entry(entry=reversal, reason="undo", actor=None)
    assert CoalEntry.objects.count() == 2
    # Once reversed, the day's consumption can be recorded again.
    record_consumption(heat_source=source, day=entry.day, tonnes="51", actor=None)
    with pytest.raises(FuelRefused, match="Explain"):
        record_stocktake(heat_source=source, day=TODAY, counted_tonnes="10", reason="", actor=None)
    assert CoalEntry.objects.count() == 3


@pytest.mark.django_db
def test_a_stocktake_books_the_difference_from_the_count(source):
    record_delivery(heat_source=source, day=TODAY - timedelta(days=5), tonnes="500", actor=None)
    record_consumption(heat_source=source, day=TODAY - timedelta(days=4), tonnes="80", actor=None)
    adjustment = record_stocktake(
        heat_source=source,
        day=TODAY - timedelta(days=1),
        counted_tonnes="400",
        reason="drone survey: pile settled",
        actor=None,
    )
    assert adjustment.tonnes == Decimal("-20") and adjustment.counted_tonnes == Decimal("400")
    assert balance(source, on=TODAY) == Decimal("400")
    with pytest.raises(FuelRefused, match="matches the books"):
        record_stocktake(
            heat_source=source, day=TODAY, counted_tonnes="400", reason="x", actor=None
        )


@pytest.mark.django_db
def test_an_expected_delivery_weighed_in_is_received_and_a_reversal_reopens_it(source):
    expected = expect_delivery(
        heat_source=source,
        expected_on=timezone.localdate(),
        tonnes="700",
        supplier="龙口",
        actor=None,
    )
    entry = record_delivery(
        heat_source=source,
        day=timezone.localdate(),
        tonnes="690",
        note_number="N7",
        actor=None,
        expected=expected,
    )
    expected.refresh_from_db()
    assert (expected.status, expected.received_entry) == (DeliveryStatus.RECEIVED, entry)
    reverse_entry(entry=entry, reason="wrong yard", actor=None)
    expected.refresh_from_db()
    assert (expected.status, expected.received_entry) == (DeliveryStatus.EXPECTED, None)
    with pytest.raises(FuelRefused, match="today or later"):
        expect_delivery(
            heat_source=source,
            expected_on=timezone.localdate() - timedelta(days=1),
            tonnes="5",
            supplier="",
            actor=None,
        )
    assert ExpectedDelivery.objects.count() == 1


@pytest.mark.django_db
def test_yesterdays_consumption_comes_from_heat_source_telemetry_unless_recorded(source):
    from wennuan.grid.models import HeatSource
    from wennuan.operations.services import ingest

    other = HeatSource.objects.create(code="HS10", name="另一热源", capacity_mw=Decimal(100))
    zone = timezone.get_current_timezone()
    day = TODAY - timedelta(days=1)
    # coal_t is burned since the reading before: the day's are 01:00 … 24:00 (the next 00:00).
    midnight = datetime(2026, 11, 28, tzinfo=zone)
    readings = [
        {"source": code, "time": (midnight + timedelta(hours=h)).isoformat(), "coal_t": 10.5}
        for code in ("HS09", "HS10")
        for h in range(0, 25)
    ]
    assert not ingest(readings, now=datetime(2026, 11, 29, 6, tzinfo=zone)).rejected
    record_consumption(heat_source=other, day=day, tonnes="240", actor=None)  # entered by hand
    assert consumption_from_telemetry(day=day) == 1
    made = CoalEntry.objects.get(heat_source=source, day=day)
    assert (made.tonnes, made.origin) == (Decimal("-252.000"), Origin.TELEMETRY)
    assert consumption_from_telemetry(day=day) == 0  # a second run adds nothing
    assert CoalEntry.objects.get(heat_source=other, day=day).tonnes == Decimal("-240")


@pytest.mark.django_db
def test_observed_days_come_from_outdoor_telemetry_but_never_replace_entered_ones():
    from wennuan.operations.services import ingest

    zone = timezone.get_current_timezone()
    items = [
        {
            "place": "yantai",
            "time": datetime(2026, 11, d, h, tzinfo=zone).isoformat(),
            "temperature_c": t,
        }
        for d, t in ((27, -2.0), (28, 4.0))
        for h in range(24)
    ]
    ingest(items, now=datetime(2026, 11, 29, tzinfo=zone))
    WeatherDay.objects.create(
        place="yantai",
        day=date(2026, 11, 28),
        kind=WeatherKind.OBSERVED,
        mean_c=3.0,
        origin=Origin.ENTERED,
    )
    observed_days_from_telemetry(since=date(2026, 11, 27), until=date(2026, 11, 28))
    days = dict(WeatherDay.objects.values_list("day", "mean_c"))
    assert days == {date(2026, 11, 27): -2.0, date(2026, 11, 28): 3.0}


DELIVERIES = (
    "source,day,tonnes,note_number,supplier,lhv_mj_kg\n"
    "HS09,2026-11-20,800,W-1,龙口矿业,21.5\n"
    "HS09,2026-11-21,750.5,W-2,,\n"
)


@pytest.mark.django_db
def test_a_good_delivery_file_is_stored_whole(source):
    result = import_deliveries(DELIVERIES.encode(), actor=None)
    assert result.rows == 2
    assert balance(source, on=TODAY) == Decimal("1550.5")
    assert CoalEntry.objects.get(note_number="W-1").lhv_mj_kg == Decimal("21.5")


@pytest.mark.django_db
def test_a_bad_delivery_file_lists_every_bad_row_and_stores_nothing(source):
    record_delivery(heat_source=source, day=TODAY, tonnes="1", note_number="OLD", actor=None)
    bad = (
        "source,day,tonnes,note_number\n"
        "HS09,2026-11-20,800,W-1\n"  # fine on its own
        "XX99,2026-11-20,800,W-2\n"  # unknown source
        "HS09,2026-13-01,800,W-3\n"  # bad date
        "HS09,2026-11-21,-3,W-4\n"  # negative weight
        "HS09,2026-11-21,10,W-1\n"  # repeats line 2
        "HS09,2026-11-21,10,OLD\n"  # already in the books
        "HS09,2026-12-30,10,W-6\n"  # future
    )
    with pytest.raises(ImportFailed) as failure:
        import_deliveries(bad.encode(), actor=None)
    found = {(e.line, e.column) for e in failure.value.errors}
    assert found == {
        (3, "source"),
        (4, "day"),
        (5, "tonnes"),
        (6, "note_number"),
        (7, "note_number"),
        (8, "day"),
    }
    assert CoalEntry.objects.count() == 1


@pytest.mark.django_db
def test_weather_files_store_days_and_refuse_bad_rows_whole():
    good = "day,mean_c,kind,min_c,max_c\n2026-11-28,-1.5,,-5,2\n2026-12-02,-6,forecast,,\n"
    assert import_weather(good.encode()).rows == 2
    assert WeatherDay.objects.get(kind=WeatherKind.FORECAST).mean_c == -6
    bad = (
        "day,mean_c,kind\n2026-11-27,-80,\n2026-11-27,1,\n2026-11-26,1,guess\n"
        "2026-12-05,1,observed\n"
    )
    with pytest.raises(ImportFailed) as failure:
        import_weather(bad.encode())
    assert {(e.line, e.column) for e in failure.value.errors} == {
        (2, "mean_c"),
        (3, "day"),
        (4, "kind"),
        (5, "day"),
    }
    assert WeatherDay.objects.count() == 2


def test_a_day_the_telemetry_does_not_cover_whole_is_not_booked(source):
    from wennuan.operations.services import ingest

    zone = timezone.get_current_timezone()
    midnight = datetime(2026, 11, 28, tzinfo=zone)
    # The gateway was down until noon: half a day's burn is not a day's burn.
    half = [
        {"source": "HS09", "time": (midnight + timedelta(hours=h)).isoformat(), "coal_t": 10.5}
        for h in range(12, 25)
    ]
    ingest(half, now=datetime(2026, 11, 29, 6, tzinfo=zone))
    assert consumption_from_telemetry(day=date(2026, 11, 28)) == 0
    assert not CoalEntry.objects.exists()


def test_an_expected_delivery_of_another_yard_cannot_be_received_here(source):
    from wennuan.grid.models import HeatSource

    other = HeatSource.objects.create(code="HS11", name="别的热源", capacity_mw=Decimal(50))
    theirs = expect_delivery(
        heat_source=other, expected_on=TODAY, tonnes="300", supplier="", actor=None
    )
    with pytest.raises(FuelRefused, match="no longer open"):
        record_delivery(
            heat_source=source,
            day=TODAY,
            tonnes="300",
            note_number="X1",
            actor=None,
            expected=theirs,
        )
    theirs.refresh_from_db()
    assert theirs.status == DeliveryStatus.EXPECTED and not CoalEntry.objects.exists()


def test_a_called_off_delivery_cannot_be_weighed_in(source):
    from wennuan.fuel.services import cancel_expected

    expected = expect_delivery(
        heat_source=source, expected_on=TODAY, tonnes="300", supplier="", actor=None
    )
    cancel_expected(delivery=expected)
    with pytest.raises(FuelRefused, match="no longer open"):
        record_delivery(
            heat_source=source,
            day=TODAY,
            tonnes="300",
            note_number="X2",
            actor=None,
            expected=expected,
        )
    assert not CoalEntry.objects.exists()
    with pytest.raises(FuelRefused):
        cancel_expected(delivery=expected)


@pytest.mark.django_db
def test_hourly_weather_files_store_observed_as_telemetry_and_forecast_hours():
    from wennuan.fuel.models import WeatherHour
    from wennuan.operations.models import OutdoorTemperature

    good = (
        "time,temperature_c,kind\n"
        "2026-11-28T06:00:00+08:00,-3.5,\n"
        "2026-11-30T06:00:00+08:00,-6,forecast\n"
    )
    assert import_weather(good.encode()).rows == 2
    assert OutdoorTemperature.objects.get().temperature_c == -3.5
    assert WeatherHour.objects.get().temperature_c == -6
    bad = (
        "time,temperature_c,kind\n"
        "2026-11-28T07:00:00+08:00,-90,\n"  # impossible
        "2026-11-28T08:00:00,-1,forecast\n"  # no offset
        "2026-11-28T09:00:00+08:00,-1,guess\n"
    )
    with pytest.raises(ImportFailed) as failure:
        import_weather(bad.encode())
    assert [e.line for e in failure.value.errors] == [2, 3, 4]
    assert OutdoorTemperature.objects.count() == 1 and WeatherHour.objects.count() == 1
