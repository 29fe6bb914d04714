"""The facility registry from CSV, all or nothing, as for the grid (``wennuan.grid.importing``).

Every row is checked against the database and the rest of the file before anything is
written, and every bad row is reported with its line number (1 is the header). Rows are
matched to facilities by code: a known code is updated, a new one created, so importing
the same file twice changes nothing the second time.

Columns: ``code``, ``name``, ``kind``, ``zone_code``, and optionally ``latitude``,
``longitude``, ``building_code``, ``station_code``, ``condition``, ``notes``. Kinds and
conditions are their codes (``valve_well``) or their names in either language. An optional
column the file leaves out is left as it is on known facilities; an empty value clears it,
except an empty ``condition``, which keeps the facility's (a new one's is ``good``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from wennuan.grid.importing import (
    ImportFailed,
    Plan,
    Row,
    RowChecker,
    RowError,
    changed,
    decode,
    fetch_by,
    read_csv,
)
from wennuan.grid.models import Building, Station, Zone
from wennuan.inspections.choices import Condition, FacilityKind
from wennuan.inspections.models import Facility

REQUIRED = ["code", "name", "kind", "zone_code"]
OPTIONAL = ["latitude", "longitude", "building_code", "station_code", "condition", "notes"]
CODE = re.compile(r"[A-Za-z0-9_\-]+")  # it is the facility's address in the API


@dataclass
class Imported:
    """What an applied import did."""

    encoding: str
    rows: int
    created: int
    updated: int
    unchanged: int


def import_facilities(data: bytes) -> Imported:
    """Create or update the facilities of a CSV file (UTF-8 or GB18030), all or nothing.

    Raises ``ImportFailed`` with every bad row; nothing is written then.
    """
    text, encoding = decode(data)
    rows = read_csv(text, REQUIRED, OPTIONAL)
    with transaction.atomic():
        # Checked inside the transaction, so that the checks and the writes see the same data.
        plan = plan_facilities(rows)
        plan.apply()
    return Imported(encoding, plan.rows, plan.created, plan.updated, plan.unchanged)


def plan_facilities(rows: list[tuple[int, Row]]) -> Plan:
    """Check every row, and turn the file into counted writes (see ``Plan``)."""
    check = RowChecker()
    header = set(rows[0][1])  # read_csv gives every row the header's columns
    if len(header & {"latitude", "longitude"}) == 1:
        missing = "longitude" if "latitude" in header else "latitude"
        raise ImportFailed(
            [RowError(1, missing, _("latitude and longitude go together; add this column"))]
        )
    zones = {zone.code: zone for zone in Zone.objects.all()}  # a city has tens of zones
    zone_codes = {zone.pk: zone.code for zone in zones.values()}
    buildings = fetch_by(
        Building, "code", (r["building_code"] for _, r in rows if r.get("building_code"))
    )
    stations = fetch_by(
        Station, "code", (r["station_code"] for _, r in rows if r.get("station_code"))
    )
    existing = fetch_by(Facility, "code", (r["code"] for _, r in rows))
    fields = ["name", "kind", "zone"]
    fields += [name for name in ("latitude", "longitude", "notes", "condition") if name in header]
    fields += [name for name in ("building", "station") if f"{name}_code" in header]
    seen: dict[Any, int] = {}
    plan = Plan(rows=len(rows))
    creates: list[Facility] = []
    updates: list[Facility] = []
    for line, row in rows:
        errors = len(check.errors)
        code = check.required(line, row, "code", 30)
        if code and not CODE.fullmatch(code):
            check.error(line, "code", _("only letters, digits, '-' and '_' are allowed"))
        check.unique(seen, code, line, "code", _("facility code"))
        values: dict[str, Any] = {"name": check.required(line, row, "name", 100)}
        if row["kind"]:
            values["kind"] = check.choice(line, row, "kind", FacilityKind, None)
        else:
            check.error(line, "kind", _("a value is required"))
        zone = zones.get(row["zone_code"])
        if zone is None:
            check.error(
                line,
                "zone_code",
                _("unknown zone %(code)r") % {"code": row["zone_code"]}
                if row["zone_code"]
                else _("a value is required"),
            )
        values["zone"] = zone
        values.update(_place(check, line, row))
        if "building_code" in header:
            values["building"] = _building(check, line, row, buildings, zone, zone_codes)
        if "station_code" in header:
            values["station"] = None
            if row["station_code"]:
                values["station"] = stations.get(row["station_code"])
                if values["station"] is None:
                    check.error(
                        line,
                        "station_code",
                        _("unknown station %(code)r") % {"code": row["station_code"]},
                    )
        if "notes" in header:
            values["notes"] = check.optional(line, row, "notes", 300)
        if "condition" in header and row["condition"]:
            values["condition"] = check.choice(line, row, "condition", Condition, None)
        if len(check.errors) > errors:
            continue
        facility = existing.get(code)
        if facility is None:
            creates.append(Facility(code=code, **values))
        elif changed(facility, values):
            updates.append(facility)
        else:
            plan.unchanged += 1
    if check.errors:
        raise ImportFailed(check.errors)
    plan.save(Facility, creates, updates, fields)
    return plan


def _place(check: RowChecker, line: int, row: Row) -> dict[str, float | None]:
    """Latitude and longitude, both or neither, when the file has the columns."""
    if "latitude" not in row:
        return {}
    place: dict[str, float | None] = {"latitude": None, "longitude": None}
    if not row["latitude"] and not row["longitude"]:
        return place
    for column, limit in (("latitude", 90), ("longitude", 180)):
        if row[column]:
            place[column] = check.number(line, row, column, low=-limit, high=limit)
        else:
            check.error(line, column, _("give both latitude and longitude, or neither"))
    return place


def _building(
    check: RowChecker,
    line: int,
    row: Row,
    buildings: dict[str, Building],
    zone: Zone | None,
    zone_codes: dict[int, str],
) -> Building | None:
    """The building served, which must be in the facility's zone (its work orders go there)."""
    code = row["building_code"]
    if not code:
        return None
    building = buildings.get(code)
    if building is None:
        check.error(line, "building_code", _("unknown building %(code)r") % {"code": code})
    elif building.zone_id is None:
        check.error(line, "building_code", _("building %(code)s is in no zone") % {"code": code})
    elif zone is not None and building.zone_id != zone.pk:
        check.error(
            line,
            "building_code",
            _("building %(code)s is in zone %(zone)s, not %(expected)s")
            % {"code": code, "zone": zone_codes[building.zone_id], "expected": zone.code},
        )
    return building
