"""CSV uploads of the coal reserve: deliveries, and daily temperatures. All or nothing per
file: every row is checked (against the database and the rest of the file) before anything
is written, and every bad row is reported with its line number."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.fuel.choices import EntryKind, Origin, WeatherKind
from wennuan.fuel.models import CoalEntry
from wennuan.fuel.services import (
    LHV_RANGE,
    MAX_TONNES,
    MOISTURE_RANGE,
    DayTemperature,
    coal_sources,
    save_forecast_hours,
    save_weather_days,
)
from wennuan.grid.importing import ImportFailed, RowError, decode, read_csv

DELIVERY_COLUMNS = (
    ["source", "day", "tonnes", "note_number"],
    ["supplier", "lhv_mj_kg", "moisture_pct"],
)
WEATHER_COLUMNS = (["day", "mean_c"], ["kind", "min_c", "max_c", "place"])
WEATHER_HOUR_COLUMNS = (["time", "temperature_c"], ["kind", "place"])


@dataclass
class Imported:
    """What an applied upload stored."""

    rows: int
    encoding: str


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def import_deliveries(data: bytes, *, actor: Any) -> Imported:
    """Deliveries from a weighbridge export: source code, day, tonnes, delivery note number
    (unique per yard, in the file and in the books), optional supplier, LHV and moisture."""
    text, encoding = decode(data)
    rows = read_csv(text, *DELIVERY_COLUMNS)
    with transaction.atomic():
        # The yards named are locked while the file is checked and stored, as a clerk's
        # entry locks its yard: no note number is booked twice by two hands at once.
        codes = {row["source"] for _, row in rows}
        locked = coal_sources().select_for_update().filter(code__in=codes)
        sources = dict(locked.values_list("code", "pk"))
        entries, errors = _check_deliveries(rows, sources, actor)
        if errors:
            raise ImportFailed(errors)
        CoalEntry.objects.bulk_create(entries)
    return Imported(len(entries), encoding)


def _check_deliveries(
    rows: list[tuple[int, dict[str, str]]], sources: dict[str, int], actor: Any
) -> tuple[list[CoalEntry], list[RowError]]:
    today = timezone.localdate()
    recorded = set(
        CoalEntry.objects.filter(
            kind=EntryKind.DELIVERY, reversal__isnull=True, heat_source__in=list(sources.values())
        )
        .exclude(note_number="")
        .values_list("heat_source_id", "note_number")
    )
    errors: list[RowError] = []
    entries: list[CoalEntry] = []
    seen: dict[tuple[int, str], int] = {}
    for line, row in rows:
        problems: list[RowError] = []
        source_id = sources.get(row["source"])
        if source_id is None:
            problems.append(RowError(line, "source", _("unknown heat source code")))
        day = _day(row["day"])
        if day is None:
            problems.append(RowError(line, "day", _("not a date (YYYY-MM-DD)")))
        elif day > today:
            problems.append(RowError(line, "day", _("in the future")))
        tonnes = _decimal(row["tonnes"])
        if tonnes is None or not 0 < tonnes <= MAX_TONNES:
            problems.append(
                RowError(line, "tonnes", _("must be a number above 0 and at most 100,000"))
            )
        note = row["note_number"]
        if not note:
            problems.append(RowError(line, "note_number", _("required")))
        elif len(note) > 40:
            problems.append(RowError(line, "note_number", _("at most 40 characters")))
        elif source_id is not None:
            key = (source_id, note)
            if key in recorded:
                problems.append(
                    RowError(line, "note_number", _("already recorded for this heat source"))
                )
            elif key in seen:
                problems.append(
                    RowError(line, "note_number", _("repeats line %(line)s") % {"line": seen[key]})
                )
            else:
                seen[key] = line
        optional: dict[str, Decimal | None] = {}
        for column, bounds in (("lhv_mj_kg", LHV_RANGE), ("moisture_pct", MOISTURE_RANGE)):
            raw = row.get(column, "")
            value = _decimal(raw) if raw else None
            if raw and (value is None or not bounds[0] <= value <= bounds[1]):
                problems.append(
                    RowError(
                        line,
                        column,
                        _("must be between %(low)s and %(high)s")
                        % {"low": bounds[0], "high": bounds[1]},
                    )
                )
            optional[column] = value
        errors += problems
        if not problems:
            assert source_id is not None and day is not None and tonnes is not None
            entries.append(
                CoalEntry(
                    heat_source_id=source_id,
                    kind=EntryKind.DELIVERY,
                    day=day,
                    tonnes=tonnes.quantize(Decimal("0.001")),
                    supplier=row.get("supplier", "")[:100],
                    note_number=note,
                    lhv_mj_kg=optional["lhv_mj_kg"],
                    moisture_pct=optional["moisture_pct"],
                    origin=Origin.IMPORT,
                    created_by=actor,
                )
            )
    return entries, errors


def import_weather(data: bytes) -> Imported:
    """Daily temperatures: day, mean_c, optional kind (observed or forecast; observed if
    empty), min_c, max_c, place (``WEATHER_PLACE`` if empty). A day repeated in the file is
    an error; a day already stored is replaced. A file whose header has ``time`` instead
    holds hourly temperatures (see ``_import_weather_hours``)."""
    text, encoding = decode(data)
    if "time" in text.partition("\n")[0].replace(" ", "").split(","):
        return _import_weather_hours(text, encoding)
    rows = read_csv(text, *WEATHER_COLUMNS)
    errors: list[RowError] = []
    parsed: dict[tuple[str, str], list[DayTemperature]] = {}
    seen: dict[tuple[str, str, date], int] = {}
    for line, row in rows:
        before = len(errors)
        day = _day(row["day"])
        if day is None:
            errors.append(RowError(line, "day", _("not a date (YYYY-MM-DD)")))
        kind = row.get("kind") or WeatherKind.OBSERVED
        if kind not in WeatherKind.values:
            errors.append(RowError(line, "kind", _("must be observed or forecast")))
        if kind == WeatherKind.OBSERVED and day is not None and day > timezone.localdate():
            errors.append(RowError(line, "day", _("an observation cannot be in the future")))
        values: dict[str, float | None] = {}
        for column in ("mean_c", "min_c", "max_c"):
            raw = row.get(column, "")
            if not raw and column != "mean_c":
                values[column] = None
                continue
            try:
                number = float(raw)
            except ValueError:
                number = math.nan
            if not -60 <= number <= 60:  # NaN fails too
                errors.append(RowError(line, column, _("must be a temperature within -60..60 °C")))
            values[column] = number
        place = row.get("place") or settings.WEATHER_PLACE
        if len(place) > 40:
            errors.append(RowError(line, "place", _("at most 40 characters")))
        if day is not None:
            key = (place, kind, day)
            if key in seen:
                errors.append(
                    RowError(line, "day", _("repeats line %(line)s") % {"line": seen[key]})
                )
            seen.setdefault(key, line)
        if len(errors) == before and day is not None and values["mean_c"] is not None:
            parsed.setdefault((place, kind), []).append(
                DayTemperature(day, values["mean_c"], values["min_c"], values["max_c"])
            )
    if errors:
        raise ImportFailed(errors)
    with transaction.atomic():
        stored = sum(
            save_weather_days(days, kind=kind, origin=Origin.IMPORT, place=place)
            for (place, kind), days in parsed.items()
        )
    return Imported(stored, encoding)


def _import_weather_hours(text: str, encoding: str) -> Imported:
    """Hourly temperatures: time (ISO 8601 with its offset), temperature_c, optional kind
    and place. Observed hours go in as outdoor telemetry (the same checks and store as a
    gateway's), forecast hours beside the daily forecast."""
    from wennuan.operations.services import import_history

    rows = read_csv(text, *WEATHER_HOUR_COLUMNS)
    errors: list[RowError] = []
    observed: list[tuple[int, dict[str, Any]]] = []
    forecast: dict[str, list[tuple[datetime, float]]] = {}
    for line, row in rows:
        kind = row.get("kind") or WeatherKind.OBSERVED
        place = row.get("place") or settings.WEATHER_PLACE
        if kind not in WeatherKind.values:
            errors.append(RowError(line, "kind", _("must be observed or forecast")))
            continue
        if kind == WeatherKind.OBSERVED:
            observed.append(
                (line, {"place": place, "time": row["time"], "temperature_c": row["temperature_c"]})
            )
            continue
        try:
            moment = datetime.fromisoformat(row["time"])
        except ValueError:
            moment = None
        if moment is None or moment.utcoffset() is None:
            errors.append(RowError(line, "time", _("not a time with its offset (ISO 8601)")))
            continue
        try:
            value = float(row["temperature_c"])
        except ValueError:
            value = math.nan
        if not -60 <= value <= 60:
            errors.append(
                RowError(line, "temperature_c", _("must be a temperature within -60..60 °C"))
            )
            continue
        forecast.setdefault(place, []).append((moment, value))
    with transaction.atomic():
        if observed:
            result = import_history([item for _, item in observed])
            errors += [RowError(observed[r.index][0], "", r.reason) for r in result.rejected]
        if errors:
            transaction.set_rollback(True)
            raise ImportFailed(sorted(errors, key=lambda e: e.line))
        for place, hours in forecast.items():
            save_forecast_hours(hours, origin=Origin.IMPORT, place=place)
    return Imported(len(rows), encoding)
