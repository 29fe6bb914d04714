"""Grid imports from CSV: decode, validate every row, then plan and apply the writes.

The entry point is ``wennuan.grid.services.import_grid``; this module holds its steps.
A file is all-or-nothing: every row is validated against the database and the rest of
the file before anything is written, and every bad row is reported with its line number.
Rows are matched to existing records by natural key (account number, building code,
user name, zone + duty), so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from wennuan.core.validators import is_valid_phone, normalise_phone
from wennuan.grid.choices import Duty, HeatingStatus, ImportKind
from wennuan.grid.models import (
    Building,
    Community,
    Complex,
    Household,
    Station,
    Zone,
    ZoneAssignment,
)
from wennuan.people.choices import Role
from wennuan.people.models import User

# Parameters per IN (...) lookup: well under SQLite's and PostgreSQL's limits.
CHUNK = 900


@dataclass(frozen=True)
class RowError:
    """One problem in an import file: the line (1 is the header), the column, and why."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.line == 0:  # about the whole file, such as its encoding
            return self.message
        where = _("line %(line)s") % {"line": self.line}
        return (
            f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


class ImportFailed(Exception):
    """Raised with every bad row when a file cannot be imported; nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


@dataclass
class ImportResult:
    """What an applied import did."""

    kind: str
    encoding: str
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0


Row = dict[str, str]


@dataclass
class Plan:
    """Validated rows turned into counted writes; ``apply`` runs in the caller's transaction."""

    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    steps: list[Callable[[], None]] = field(default_factory=list)

    def apply(self) -> None:
        for step in self.steps:
            step()

    def save(
        self, model: type[models.Model], creates: list[Any], updates: list[Any], fields: list[str]
    ) -> None:
        """Count the rows, and add the bulk writes as a step."""
        self.created += len(creates)
        self.updated += len(updates)

        def write() -> None:
            model._default_manager.bulk_create(creates, batch_size=2000)
            if updates:
                model._default_manager.bulk_update(updates, fields, batch_size=2000)

        self.steps.append(write)


COLUMNS: dict[str, tuple[list[str], list[str]]] = {
    # kind: (required columns, optional columns)
    ImportKind.BUILDINGS: (
        ["code", "community_code", "complex", "number", "latitude", "longitude", "station_code"],
        ["zone_code", "floors", "entrances", "address"],
    ),
    ImportKind.HOUSEHOLDS: (
        ["account_number", "building_code", "entrance", "unit", "heated_area_m2"],
        ["heating_status", "occupant_name", "phone", "alt_phone"],
    ),
    ImportKind.STAFF: (
        ["username", "full_name", "role"],
        [
            "phone",
            "email",
            "party_member",
            "vanguard_post",
            "supervisor",
            "community_code",
            "active",
        ],
    ),
    ImportKind.ZONES: (["zone_code", "duty", "rank", "username"], ["zone_name"]),
}


def decode(data: bytes) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM) or GB18030, the encoding Chinese spreadsheets export."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding.replace("-sig", "")
        except UnicodeDecodeError:
            continue
    raise ImportFailed(
        [RowError(0, "", _("the file is neither UTF-8 nor GB18030 text; save it as CSV (UTF-8)"))]
    )


def read_rows(kind: str, text: str) -> list[tuple[int, Row]]:
    """Parse a grid CSV of this kind (see ``read_csv``)."""
    required, optional = COLUMNS[kind]
    return read_csv(text, required, optional)


def read_csv(text: str, required: list[str], optional: list[str]) -> list[tuple[int, Row]]:
    """Parse the CSV, check its header, and return (line number, stripped row) pairs.

    Raises ImportFailed listing every problem of the header, or of the rows' shape.
    """
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise ImportFailed(
            [RowError(1, "", _("the file is empty; the first line must name the columns"))]
        )
    reader.fieldnames = header
    errors = [
        RowError(1, column, _("required column is missing"))
        for column in required
        if column not in header
    ]
    errors += [
        RowError(
            1,
            column,
            _("unknown column (expected: %(columns)s)")
            % {"columns": ", ".join(required + optional)},
        )
        for column in header
        if column not in required and column not in optional
    ]
    if errors:
        raise ImportFailed(errors)
    rows: list[tuple[int, Row]] = []
    try:
        for raw in reader:
            if None in raw:
                errors.append(
                    RowError(
                        reader.line_num,
                        "",
                        _("the row has more values than the header has columns"),
                    )
                )
                continue
            row = {key: (value or "").strip() for key, value in raw.items()}
            if any(row.values()):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, "", _("not valid CSV: %(error)s") % {"error": exc}))
    if errors:
        raise ImportFailed(errors)
    if not rows:
        raise ImportFailed([RowError(2, "", _("the file has a header but no rows"))])
    return rows


def fetch_by(model: type[models.Model], field_name: str, keys: Iterable[str]) -> dict[str, Any]:
    """Existing rows whose ``field_name`` is among ``keys``, in chunks of IN parameters."""
    keys = sorted(set(keys))
    found: dict[str, Any] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        for obj in model._default_manager.filter(**{f"{field_name}__in": chunk}):
            found[getattr(obj, field_name)] = obj
    return found


@functools.cache
def accepted_words(choices: type[models.TextChoices]) -> dict[str, str]:
    """Codes and their labels in every language: spreadsheets say 报停 as often as suspended."""
    words = {value: value for value in choices.values}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            words.update({str(label).lower(): value for value, label in choices.choices})
            words.update({str(label): value for value, label in choices.choices})
    return words


class RowChecker:
    """Collects errors for one file while converting its values."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def error(self, line: int, column: str, message: str) -> None:
        self.errors.append(RowError(line, column, message))

    def required(self, line: int, row: Row, column: str, max_length: int) -> str:
        value = row.get(column, "")
        if not value:
            self.error(line, column, _("a value is required"))
        elif len(value) > max_length:
            self.error(line, column, _("longer than %(n)s characters") % {"n": max_length})
        return value

    def optional(self, line: int, row: Row, column: str, max_length: int) -> str:
        value = row.get(column, "")
        if len(value) > max_length:
            self.error(line, column, _("longer than %(n)s characters") % {"n": max_length})
        return value

    def integer(
        self, line: int, row: Row, column: str, *, low: int, high: int, default: int | None = None
    ) -> int | None:
        value = row.get(column, "")
        if not value:
            if default is None:
                self.error(line, column, _("a value is required"))
            return default
        try:
            number = int(value)
        except ValueError:
            self.error(line, column, _("%(value)r is not a whole number") % {"value": value})
            return None
        if not low <= number <= high:
            self.error(
                line, column, _("must be between %(low)s and %(high)s") % {"low": low, "high": high}
            )
            return None
        return number

    def number(self, line: int, row: Row, column: str, *, low: float, high: float) -> float | None:
        value = row.get(column, "")
        try:
            number = float(value)
        except ValueError:
            self.error(
                line,
                column,
                _("%(value)r is not a number") % {"value": value}
                if value
                else _("a value is required"),
            )
            return None
        if not low <= number <= high:
            self.error(
                line, column, _("must be between %(low)s and %(high)s") % {"low": low, "high": high}
            )
            return None
        return number

    def phone(self, line: int, row: Row, column: str) -> str:
        value = row.get(column, "")
        if not value:
            return ""
        phone = normalise_phone(value)
        if not is_valid_phone(phone):
            self.error(
                line,
                column,
                _("%(value)r is not a phone number (11-digit mobile, or landline with area code)")
                % {"value": value},
            )
        return phone

    def choice(
        self,
        line: int,
        row: Row,
        column: str,
        choices: type[models.TextChoices],
        default: str | None,
    ) -> str:
        value = row.get(column, "")
        if not value and default is not None:
            return default
        accepted = accepted_words(choices)
        if value in accepted:
            return accepted[value]
        self.error(
            line,
            column,
            _("%(value)r is not one of: %(choices)s")
            % {"value": value, "choices": ", ".join(choices.values)},
        )
        return ""

    def unique(self, seen: dict[Any, int], key: Any, line: int, column: str, label: str) -> None:
        if key in seen:
            self.error(
                line,
                column,
                _("duplicate %(what)s (also on line %(line)s)")
                % {"what": label, "line": seen[key]},
            )
        else:
            seen[key] = line


def changed(obj: models.Model, values: dict[str, Any]) -> bool:
    """Set ``values`` on ``obj``; return whether any differed.

    Foreign keys are compared by id so that no related row is fetched per record.
    """
    differs = False
    for name, value in values.items():
        field = obj._meta.get_field(name)
        if field.is_relation:
            current = getattr(obj, field.attname)  # type: ignore[union-attr]
            wanted = None if value is None else value.pk
            # An unsaved related object (a complex this import creates) always differs.
            same = current == wanted and (value is None or wanted is not None)
        else:
            same = getattr(obj, name) == value
        if not same:
            setattr(obj, name, value)
            differs = True
    return differs


def plan_buildings(rows: list[tuple[int, Row]]) -> Plan:
    """Buildings by code; complexes are created by (community, name) as needed."""
    check = RowChecker()
    communities = fetch_by(Community, "code", (r["community_code"] for _, r in rows))
    stations = fetch_by(Station, "code", (r["station_code"] for _, r in rows))
    zones = fetch_by(Zone, "code", (r.get("zone_code", "") for _, r in rows if r.get("zone_code")))
    existing = fetch_by(Building, "code", (r["code"] for _, r in rows))
    seen: dict[Any, int] = {}
    valid: list[tuple[Row, dict[str, Any]]] = []
    for line, row in rows:
        code = check.required(line, row, "code", 24)
        check.unique(seen, code, line, "code", _("building code"))
        community = communities.get(row["community_code"])
        if community is None:
            check.error(
                line,
                "community_code",
                _("unknown community %(code)r") % {"code": row["community_code"]},
            )
        complex_name = check.required(line, row, "complex", 64)
        number = check.required(line, row, "number", 16)
        station = stations.get(row["station_code"])
        if station is None:
            check.error(
                line, "station_code", _("unknown station %(code)r") % {"code": row["station_code"]}
            )
        zone = None
        if row.get("zone_code"):
            zone = zones.get(row["zone_code"])
            if zone is None:
                check.error(
                    line, "zone_code", _("unknown zone %(code)r") % {"code": row["zone_code"]}
                )
        values = {
            "number": number,
            "latitude": check.number(line, row, "latitude", low=-90, high=90),
            "longitude": check.number(line, row, "longitude", low=-180, high=180),
            "floors": check.integer(line, row, "floors", low=1, high=120, default=6),
            "entrances": check.integer(line, row, "entrances", low=1, high=60, default=2),
            "station": station,
            "zone": zone,
            "address": check.optional(line, row, "address", 200),
        }
        if community is not None and complex_name:
            values["community"] = community
            values["complex_name"] = complex_name
            if not values["address"]:
                values["address"] = (
                    f"{community.street.district.name}{community.street.name}{complex_name}{number}"
                )
        valid.append((row, values))
    if check.errors:
        raise ImportFailed(check.errors)

    complexes = {
        (c.community_id, c.name): c
        for c in Complex.objects.filter(community__in=list(communities.values()))
    }
    fields = [
        "complex",
        "number",
        "address",
        "latitude",
        "longitude",
        "floors",
        "entrances",
        "station",
        "zone",
    ]
    new_complexes: dict[tuple[int, str], Complex] = {}
    creates: list[Building] = []
    updates: list[Building] = []
    plan = Plan(rows=len(rows))
    for row, values in valid:
        key = (values["community"].pk, values["complex_name"])
        if key not in complexes:
            # Unsaved until the write step; bulk_create then gives it a primary key
            # before the buildings that point at it are saved.
            complexes[key] = new_complexes[key] = Complex(
                community=values["community"], name=key[1]
            )
        wanted = {name: values[name] for name in fields if name != "complex"}
        wanted["complex"] = complexes[key]
        building = existing.get(row["code"])
        if building is None:
            creates.append(Building(code=row["code"], **wanted))
        elif changed(building, wanted):
            updates.append(building)
        else:
            plan.unchanged += 1

    def create_complexes() -> None:
        Complex.objects.bulk_create(list(new_complexes.values()))

    plan.steps.append(create_complexes)
    plan.save(Building, creates, updates, fields)
    return plan


def plan_households(rows: list[tuple[int, Row]]) -> Plan:
    """Households by account number; the address follows the building's."""
    check = RowChecker()
    buildings = fetch_by(Building, "code", (r["building_code"] for _, r in rows))
    existing = fetch_by(Household, "account_number", (r["account_number"] for _, r in rows))
    seen: dict[Any, int] = {}
    plan = Plan(rows=len(rows))
    creates: list[Household] = []
    updates: list[Household] = []
    for line, row in rows:
        account = check.required(line, row, "account_number", 20)
        if account and not re.fullmatch(r"[A-Za-z0-9\-]+", account):
            check.error(line, "account_number", _("only letters, digits and '-' are allowed"))
        check.unique(seen, account, line, "account_number", _("account number"))
        building = buildings.get(row["building_code"])
        if building is None:
            check.error(
                line,
                "building_code",
                _("unknown building %(code)r") % {"code": row["building_code"]},
            )
        entrance = check.integer(line, row, "entrance", low=1, high=60)
        unit = check.required(line, row, "unit", 10)
        area: Decimal | None = None
        raw_area = row["heated_area_m2"]
        try:
            area = Decimal(raw_area)
            if not area.is_finite() or area <= 0 or area >= Decimal("100000"):
                check.error(
                    line,
                    "heated_area_m2",
                    _("must be a positive number of square metres below 100000"),
                )
                area = None
            else:
                area = area.quantize(Decimal("0.01"))
        except InvalidOperation:
            check.error(
                line,
                "heated_area_m2",
                _("%(value)r is not a number") % {"value": raw_area}
                if raw_area
                else _("a value is required"),
            )
        values = {
            "building": building,
            "entrance": entrance,
            "unit": unit,
            "heated_area_m2": area,
            "heating_status": check.choice(
                line, row, "heating_status", HeatingStatus, HeatingStatus.HEATING
            ),
            "occupant_name": check.optional(line, row, "occupant_name", 64),
            "phone": check.phone(line, row, "phone"),
            "alt_phone": check.phone(line, row, "alt_phone"),
        }
        if check.errors:
            continue
        assert building is not None
        values["address"] = f"{building.address}{entrance}单元{unit}室"[:240]
        household = existing.get(account)
        if household is None:
            creates.append(Household(account_number=account, **values))
        elif changed(household, values):
            updates.append(household)
        else:
            plan.unchanged += 1
    if check.errors:
        raise ImportFailed(check.errors)
    plan.save(Household, creates, updates, list(values))
    return plan


TRUE_WORDS = {"1", "true", "yes", "y", "是", "t"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否", "f"}


def plan_staff(rows: list[tuple[int, Row]]) -> Plan:
    """Staff users by user name; new users get no password until an admin sets one."""
    check = RowChecker()
    existing = {
        u.username: u
        for u in User.objects.filter(username__in=[r["username"] for _, r in rows]).select_related(
            "supervisor"
        )
    }
    in_file = {r["username"] for _, r in rows}
    supervisors = fetch_by(
        User, "username", (r.get("supervisor", "") for _, r in rows if r.get("supervisor"))
    )
    communities = fetch_by(
        Community, "code", (r.get("community_code", "") for _, r in rows if r.get("community_code"))
    )
    seen: dict[Any, int] = {}
    plan = Plan(rows=len(rows))
    creates: list[User] = []
    updates: list[User] = []
    supervisor_of: dict[str, str] = {}
    for line, row in rows:
        username = check.required(line, row, "username", 150)
        if username and not re.fullmatch(r"[\w.@+-]+", username):
            check.error(line, "username", _("only letters, digits and @ . + - _ are allowed"))
        check.unique(seen, username, line, "username", _("user name"))
        email = row.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                check.error(
                    line, "email", _("%(value)r is not an e-mail address") % {"value": email}
                )
        flags = {}
        for column in ("party_member", "active"):
            word = row.get(column, "").lower()
            if word in TRUE_WORDS or (column == "active" and word == ""):
                flags[column] = True
            elif word in FALSE_WORDS:
                flags[column] = False
            else:
                check.error(line, column, _("%(value)r is not yes or no") % {"value": row[column]})
        role = check.choice(line, row, "role", Role, None)
        community = None
        if row.get("community_code"):
            community = communities.get(row["community_code"])
            if community is None:
                check.error(
                    line,
                    "community_code",
                    _("unknown community %(code)r") % {"code": row["community_code"]},
                )
        elif role == Role.COMMUNITY_WORKER:
            check.error(
                line, "community_code", _("a community worker needs the code of their community")
            )
        supervisor = row.get("supervisor", "")
        if supervisor:
            if supervisor == username:
                check.error(line, "supervisor", _("a person cannot supervise themselves"))
            elif supervisor not in supervisors and supervisor not in in_file:
                check.error(line, "supervisor", _("unknown user %(name)r") % {"name": supervisor})
            supervisor_of[username] = supervisor
        values = {
            "full_name": check.required(line, row, "full_name", 64),
            "role": role,
            "phone": check.phone(line, row, "phone"),
            "email": email,
            "is_party_member": flags.get("party_member", False),
            "vanguard_post": check.optional(line, row, "vanguard_post", 64),
            "community": community,
            "is_active": flags.get("active", True),
        }
        if check.errors:
            continue
        user = existing.get(username)
        if user is None:
            new_user = User(username=username, **values)
            new_user.set_unusable_password()
            creates.append(new_user)
        else:
            current_supervisor = user.supervisor.username if user.supervisor else ""
            if changed(user, values) or current_supervisor != supervisor:
                updates.append(user)
            else:
                plan.unchanged += 1
    if check.errors:
        raise ImportFailed(check.errors)
    plan.save(User, creates, updates, list(values))

    def link_supervisors() -> None:
        users = fetch_by(
            User, "username", set(supervisor_of) | set(supervisor_of.values()) | in_file
        )
        to_update = []
        for username in in_file:
            user = users[username]
            wanted = users[supervisor_of[username]].pk if username in supervisor_of else None
            if user.supervisor_id != wanted:
                user.supervisor_id = wanted
                to_update.append(user)
        User.objects.bulk_update(to_update, ["supervisor"], batch_size=2000)

    plan.steps.append(link_supervisors)
    return plan


def plan_zones(rows: list[tuple[int, Row]]) -> Plan:
    """Zone assignments: for each (zone, duty) in the file, the file's list replaces the old one."""
    check = RowChecker()
    zones = fetch_by(Zone, "code", (r["zone_code"] for _, r in rows))
    users = fetch_by(User, "username", (r["username"] for _, r in rows))
    by_rank: dict[Any, int] = {}
    by_person: dict[Any, int] = {}
    groups: dict[tuple[str, str], list[tuple[int, int]]] = {}
    group_lines: dict[tuple[str, str], int] = {}
    zone_names: dict[str, str] = {}
    for line, row in rows:
        code = check.required(line, row, "zone_code", 20)
        name = check.optional(line, row, "zone_name", 64)
        if code and code not in zones and not name and code not in zone_names:
            check.error(
                line,
                "zone_name",
                _("zone %(code)r does not exist; give its name to create it") % {"code": code},
            )
        if name:
            zone_names[code] = name
        duty = check.choice(line, row, "duty", Duty, None)
        rank = check.integer(line, row, "rank", low=0, high=20)
        user = users.get(row["username"])
        if user is None:
            check.error(line, "username", _("unknown user %(name)r") % {"name": row["username"]})
        elif not user.is_active:
            check.error(
                line, "username", _("user %(name)r is deactivated") % {"name": row["username"]}
            )
        check.unique(by_rank, (code, duty, rank), line, "rank", _("rank for this zone and duty"))
        check.unique(
            by_person,
            (code, duty, row["username"]),
            line,
            "username",
            _("person for this zone and duty"),
        )
        if user is not None and rank is not None and duty:
            groups.setdefault((code, duty), []).append((rank, user.pk))
            group_lines.setdefault((code, duty), line)
    for (code, duty), members in groups.items():
        if not any(rank == 0 for rank, _pk in members):
            check.error(
                group_lines[(code, duty)],
                "rank",
                _("zone %(zone)s has no owner (rank 0) for %(duty)s")
                % {"zone": code, "duty": Duty(duty).label},
            )
    if check.errors:
        raise ImportFailed(check.errors)

    current: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for zone_code, duty, rank, staff_id in ZoneAssignment.objects.filter(
        zone__code__in=list(zones)
    ).values_list("zone__code", "duty", "rank", "staff_id"):
        current.setdefault((zone_code, duty), []).append((rank, staff_id))
    plan = Plan(rows=len(rows))
    renamed = [zones[c] for c, n in zone_names.items() if c in zones and zones[c].name != n]
    new_zones = [Zone(code=c, name=n) for c, n in zone_names.items() if c not in zones]
    changed_groups = []
    for key, members in groups.items():
        if sorted(members) == sorted(current.get(key, [])):
            plan.unchanged += len(members)
            continue
        changed_groups.append(key)
        if key in current:
            plan.updated += len(members)
        else:
            plan.created += len(members)
    if renamed and not changed_groups:
        plan.updated += 1

    def write() -> None:
        Zone.objects.bulk_create(new_zones)
        for zone in renamed:
            zone.name = zone_names[zone.code]
        Zone.objects.bulk_update(renamed, ["name"])
        all_zones = fetch_by(Zone, "code", (code for code, _duty in groups))
        for code, duty in changed_groups:
            ZoneAssignment.objects.filter(zone=all_zones[code], duty=duty).delete()
        ZoneAssignment.objects.bulk_create(
            [
                ZoneAssignment(zone=all_zones[code], duty=duty, rank=rank, staff_id=staff_id)
                for code, duty in changed_groups
                for rank, staff_id in groups[(code, duty)]
            ],
            batch_size=2000,
        )

    plan.steps.append(write)
    return plan


PLANNERS: dict[str, Callable[[list[tuple[int, Row]]], Plan]] = {
    ImportKind.BUILDINGS: plan_buildings,
    ImportKind.HOUSEHOLDS: plan_households,
    ImportKind.STAFF: plan_staff,
    ImportKind.ZONES: plan_zones,
}
