"""Authorization matrix (#9, OWASP ASVS L2 V4): every view and API endpoint, for everyone who may
not use it, is refused, and nothing changes.

``ROUTES`` names every URL pattern of the root resolver (admin apart: staff only, checked
as a whole) with who may use it on an object of zone Z0001 (Futai Community), how to build its
arguments, and a body to POST. ``test_every_url_pattern_is_in_the_table`` fails for a new view
without an entry, ``test_every_openapi_operation_is_in_the_table`` for a new API operation.

Then, for each route, each persona who may not use it and GET and POST: anonymous visitors and
residents (a portal session) are sent to the login (401/403 on the API), staff get 403/404 —
the technician, inspector and community worker of another zone (ZFAR), and the whole-city
roles for what their role may not do (agents: dispatch decisions) — and no table is written to
(``WriteWatch``). A few routes have an "own-community" variant on ZFAR's station, which its
community worker may not use either (company-internal telemetry). Each
persona who may use a route gets its page (so a wrong argument cannot make the matrix pass),
and lists seen by far staff show nothing of Z0001.

The city is built once for the module; every test runs in a savepoint rolled back after it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from wennuan.core.tests.authz_world import World, WriteWatch, build_world

# --- personas -------------------------------------------------------------------------------

ANON, RES = "anonymous", "resident"
TECH, INSP, COMM = "technician", "inspector", "community"  # of the far zone
AGENT, DISP, MGR, ADM = "agent", "dispatcher", "manager", "admin"
PERSONAS = (ANON, RES, TECH, INSP, COMM, AGENT, DISP, MGR, ADM)
FAR = frozenset({TECH, INSP, COMM})

EVERYONE = frozenset(PERSONAS)
NOBODY: frozenset[str] = frozenset()
STAFF = frozenset({TECH, INSP, COMM, AGENT, DISP, MGR, ADM})
COMPANY = STAFF - {COMM}
CITY = frozenset({AGENT, DISP, MGR, ADM})  # sees_whole_city
DISPATCH = frozenset({DISP, MGR, ADM})  # can_dispatch (agents see the city, do not decide)
# Those who see the far station's telemetry: the whole city and the far zone's technician and
# inspector; not the far community's worker, whose community it feeds (company-internal).
FAR_STATION = CITY | {TECH, INSP}
MANAGE = frozenset({MGR, ADM})  # can_manage
RESIDENT = frozenset({RES})

W = Callable[[World], Any]


def none(w: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Route:
    """One URL pattern (or one variant of it) and who may use it on a Z0001 object."""

    name: str
    who: frozenset[str]
    kwargs: W = none
    variant: str = ""
    post_who: frozenset[str] | None = None  # who may POST (default: ``who``)
    post_only: bool = False  # GET is not a use of it: 404/405 for everyone
    query: W = none
    body: W = none
    api: bool = False
    public: str = ""  # why anyone may use it (its POSTs are not checked for writes)
    redirect_to: str = "login"  # where a refusal may send a visitor (a URL name or a path)
    also_refused_with: frozenset[int] = frozenset()  # e.g. a form's 400 that writes nothing
    ok: frozenset[int] = frozenset({200})  # what a persona in ``who`` gets
    scoped_list: bool = False  # far staff may use it: it must show nothing of Z0001
    public_data: bool = False  # public by design: only the private markers must not show
    openapi: tuple[str, ...] = ()  # "get /api/v1/…" operations this route serves

    @property
    def key(self) -> str:
        return f"{self.name}[{self.variant}]" if self.variant else self.name

    @property
    def posters(self) -> frozenset[str]:
        return self.who if self.post_who is None else self.post_who


def _day(offset: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=offset)).isoformat()


def _moment(hours: int) -> str:
    return (timezone.localtime() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def _service_action(name: str, body: W = none, who: frozenset[str] = CITY) -> Route:
    return Route(
        "service:action",
        who,
        lambda w: {"pk": w.request.pk, "name": name},
        variant=name,
        post_only=True,
        body=body,
        ok=frozenset({302}),
    )


def _api_action(name: str, path: str, body: W = none, who: frozenset[str] = CITY) -> Route:
    return Route(
        f"api:request-{name}",
        NOBODY,
        lambda w: {"number": w.request.number},
        post_who=who,
        post_only=True,
        body=body,
        api=True,
        ok=frozenset({200, 409}),
        openapi=(f"post /api/v1/requests/{{number}}/{path}/",),
    )


PUBLIC_PORTAL = "the resident portal is open to everyone; a household is proven by an SMS code"
OPEN311 = "Open311 GeoReport v2 is public; filing needs an api_key; private fields are hidden"

ROUTES: list[Route] = [
    # --- core ---------------------------------------------------------------------------
    Route("home", STAFF, scoped_list=True),
    Route("healthz", EVERYONE, public="liveness probe; touches no data"),
    Route("readyz", EVERYONE, public="readiness probe; says only ok or what is down"),
    Route("login", EVERYONE, public="the staff login form", ok=frozenset({200, 302})),
    Route("logout", EVERYONE, public="ends one's own session", ok=frozenset({302, 405})),
    Route("set_language", EVERYONE, public="switches one's own language", ok=frozenset({302})),
    Route(
        "login_verify",
        EVERYONE,
        public="the login's second step: acts only on this session's pending login",
        ok=frozenset({302}),
    ),
    # One's own two-factor login: any logged-in staff member, for their own account only.
    Route("account:two_factor", STAFF),
    # --- grid ---------------------------------------------------------------------------
    Route(
        "grid:household_search",
        STAFF,
        query=lambda w: {"q": w.household.account_number},
        ok=frozenset({200, 302}),
        scoped_list=True,
    ),
    Route("grid:household_detail", CITY, lambda w: {"pk": w.household.pk}),
    Route("grid:building_detail", CITY, lambda w: {"pk": w.building.pk}),
    Route("grid:station_list", STAFF, scoped_list=True),
    Route("grid:station_detail", CITY, lambda w: {"pk": w.station.pk}),
    Route("grid:zone_list", STAFF, scoped_list=True),
    Route("grid:zone_detail", CITY, lambda w: {"pk": w.zone.pk}),
    Route("grid:coverage", CITY),
    Route(
        "grid:household_data_export",
        NOBODY,
        lambda w: {"pk": w.household.pk},
        post_who=MANAGE,
        post_only=True,
    ),
    Route(
        "grid:household_data_erase",
        MANAGE,
        lambda w: {"pk": w.household.pk},
        post_who=MANAGE,
        body=lambda w: {"reason": "authz", "confirm": w.household.account_number},
    ),
    Route("grid:import", MANAGE, body=lambda w: {"kind": "buildings"}),
    # --- service (staff) ----------------------------------------------------------------
    # Agents read the board; its bulk actions and the hand-over are dispatch decisions.
    Route("service:board", CITY),
    Route(
        "service:bulk",
        NOBODY,
        post_who=DISPATCH,
        post_only=True,
        body=lambda w: {"selected": [w.request.pk], "action": "dispatch"},
        ok=frozenset({302}),
    ),
    Route(
        "service:handover",
        NOBODY,
        post_who=DISPATCH,
        post_only=True,
        body=lambda w: {"staff": w.request.assignee.username, "reason": "authz"},
        ok=frozenset({302}),
    ),
    Route("service:photo", CITY, lambda w: {"pk": w.photo.pk}),
    Route("service:my_work", STAFF, scoped_list=True),
    Route("service:list", STAFF, scoped_list=True),
    Route(
        "service:on_behalf",
        CITY | {COMM},
        query=lambda w: {"account": w.household.account_number, "category": "not_warm"},
        body=lambda w: {
            "account": w.household.account_number,
            "category": "not_warm",
            "indoor_temperature": "15",
            "rooms_affected": "whole_home",
            "description": "authz",
            "reporter_name": "authz",
            "reporter_phone": "13800000000",
        },
        post_who=CITY,
        # A community worker of another community gets the form back ("no such household
        # in your area"): a 400 that files nothing.
        also_refused_with=frozenset({400}),
        scoped_list=True,
    ),
    Route("service:detail", CITY, lambda w: {"pk": w.request.pk}),
    _service_action("accept"),
    _service_action("approve_visit"),
    _service_action("guidance", lambda w: {"note": "authz"}),
    _service_action("schedule", lambda w: {"when": _moment(24)}),
    _service_action("check_in", lambda w: {"equipment": ["mask", "gloves", "gown", "sanitiser"]}),
    _service_action("check_out", lambda w: {"note": "authz"}),
    _service_action("resolve", lambda w: {"note": "authz", "measured_temperature": "20"}),
    _service_action(
        "reassign",
        lambda w: {"assignee": w.users[AGENT].username, "reason": "authz"},
        who=DISPATCH,
    ),
    _service_action("dispatch", who=DISPATCH),
    _service_action("cancel", lambda w: {"reason": "authz"}),
    _service_action("duplicate", lambda w: {"original": w.other_request.number}),
    # --- portal (residents) -------------------------------------------------------------
    Route("portal:home", EVERYONE, public=PUBLIC_PORTAL),
    Route("portal:verify", EVERYONE, public=PUBLIC_PORTAL),
    Route("portal:verify_code", EVERYONE, public=PUBLIC_PORTAL, ok=frozenset({302})),
    Route("portal:leave", EVERYONE, public="forgets the proven household", ok=frozenset({302})),
    Route("portal:categories", RESIDENT, redirect_to="/portal/verify/"),
    Route(
        "portal:new_request",
        RESIDENT,
        lambda w: {"code": "not_warm"},
        redirect_to="/portal/verify/",
        body=lambda w: {"indoor_temperature": "15", "rooms_affected": "whole_home"},
    ),
    Route("portal:hazard", EVERYONE, public="anyone reports an outdoor hazard by its place"),
    Route(
        "portal:my_requests",
        RESIDENT,
        redirect_to="/portal/verify/",
        scoped_list=True,
    ),
    # Another household's request: nobody on the portal (staff use the back office).
    Route("portal:request", NOBODY, lambda w: {"number": w.request.number}),
    Route("portal:request", RESIDENT, lambda w: {"number": w.own_request.number}, variant="own"),
    Route(
        "portal:request_action",
        NOBODY,
        lambda w: {"number": w.request.number, "action": "reopen"},
        post_only=True,
        body=lambda w: {"reason": "authz"},
    ),
    Route(
        "portal:request_action",
        NOBODY,
        lambda w: {"number": w.own_request.number, "action": "reopen"},
        variant="own",
        post_who=RESIDENT,
        post_only=True,
        body=lambda w: {"reason": "authz"},
        ok=frozenset({302}),
    ),
    Route("portal:track", EVERYONE, public=PUBLIC_PORTAL),
    Route(
        "portal:my_data",
        NOBODY,
        post_who=RESIDENT,
        post_only=True,
        redirect_to="/portal/verify/",
    ),
    Route(
        "track/", EVERYONE, public="redirects to the portal's tracking page", ok=frozenset({302})
    ),
    # --- Open311 (public by the spec; descriptions of households' requests hidden) -------
    Route("open311:discovery", EVERYONE, lambda w: {"fmt": "json"}, public=OPEN311),
    Route("open311:services", EVERYONE, lambda w: {"fmt": "json"}, public=OPEN311),
    Route(
        "open311:service",
        EVERYONE,
        lambda w: {"code": "outdoor_hazard", "fmt": "json"},
        public=OPEN311,
    ),
    Route(
        "open311:requests",
        EVERYONE,
        lambda w: {"fmt": "json"},
        public=OPEN311,
        scoped_list=True,
        public_data=True,
        query=lambda w: {"service_request_id": w.request.number},
    ),
    Route(
        "open311:request",
        EVERYONE,
        lambda w: {"number": w.request.number, "fmt": "json"},
        public=OPEN311,
        scoped_list=True,
        public_data=True,
    ),
    Route(
        "open311:token",
        EVERYONE,
        lambda w: {"token": "authz", "fmt": "json"},
        public=OPEN311,
        ok=frozenset({404}),
    ),
    Route(
        "open311/v2/<path:path>",
        EVERYONE,
        public="the spec's 404 for anything else",
        ok=frozenset({404}),
    ),
    Route("open311_keys:list", MANAGE, body=lambda w: {"name": "authz new integration"}),
    Route(
        "open311_keys:revoke",
        NOBODY,
        lambda w: {"pk": w.api_key.pk},
        post_who=MANAGE,
        post_only=True,
        ok=frozenset({302}),
    ),
    # --- operations -----------------------------------------------------------------------
    # Company-internal telemetry: not for partner communities' workers, even for the station
    # feeding their community (the "own-community" variants).
    Route("operations:dashboard", COMPANY, scoped_list=True),
    Route("operations:station", CITY, lambda w: {"pk": w.station.pk}),
    Route(
        "operations:station",
        FAR_STATION,
        lambda w: {"pk": w.far_station.pk},
        variant="own-community",
    ),
    # Agents read the current stops (callers ask); announcing and ending them is dispatch's.
    Route(
        "operations:stops",
        CITY,
        post_who=DISPATCH,
        body=lambda w: {
            "code": w.station.code,
            "starts_at": _moment(2),
            "expected_end_at": _moment(6),
            "reason": "authz",
        },
    ),
    Route(
        "operations:stop_end",
        NOBODY,
        lambda w: {"pk": w.stop.pk},
        post_who=DISPATCH,
        post_only=True,
        ok=frozenset({302}),
    ),
    Route(
        "operations:alarm_action",
        NOBODY,
        lambda w: {"pk": w.alarm.pk, "action": "acknowledge"},
        variant="acknowledge",
        post_who=CITY,
        post_only=True,
        body=lambda w: {"note": "authz"},
        ok=frozenset({302}),
    ),
    Route(
        "operations:alarm_action",
        NOBODY,
        lambda w: {"pk": w.alarm.pk, "action": "clear"},
        variant="clear",
        post_who=CITY,
        post_only=True,
        body=lambda w: {"note": "authz"},
        ok=frozenset({302}),
    ),
    Route(
        "operations:alarm_action",
        NOBODY,
        lambda w: {"pk": w.far_alarm.pk, "action": "acknowledge"},
        variant="acknowledge-own-community",
        post_who=FAR_STATION,
        post_only=True,
        body=lambda w: {"note": "authz"},
        ok=frozenset({302}),
    ),
    Route(
        "operations:alarm_action",
        NOBODY,
        lambda w: {"pk": w.far_alarm.pk, "action": "clear"},
        variant="clear-own-community",
        post_who=FAR_STATION,
        post_only=True,
        body=lambda w: {"note": "authz"},
        ok=frozenset({302}),
    ),
    Route(
        "operations:incident_action",
        NOBODY,
        lambda w: {"pk": w.incident.pk, "action": "update"},
        variant="update",
        post_who=DISPATCH,
        post_only=True,
        body=lambda w: {"cause": "authz", "expected_recovery_at": ""},
        ok=frozenset({302}),
    ),
    Route(
        "operations:incident_action",
        NOBODY,
        lambda w: {"pk": w.incident.pk, "action": "resolve"},
        variant="resolve",
        post_who=DISPATCH,
        post_only=True,
        body=lambda w: {"note": "authz"},
        ok=frozenset({302}),
    ),
    # --- fuel (whole-city staff; managers and dispatchers record, managers correct) ------
    Route("fuel:company", CITY),
    Route("fuel:upload", MANAGE),
    Route("fuel:company_export", CITY),
    Route("fuel:source", CITY, lambda w: {"code": w.heat_source.code}),
    Route("fuel:export", CITY, lambda w: {"code": w.heat_source.code}),
    Route(
        "fuel:record",
        NOBODY,
        lambda w: {"code": w.heat_source.code, "action": "delivery"},
        variant="delivery",
        post_who=DISPATCH,
        post_only=True,
        body=lambda w: {"day": _day(), "tonnes": "10", "note_number": "AUTHZ-1"},
        ok=frozenset({302}),
    ),
    Route(
        "fuel:record",
        NOBODY,
        lambda w: {"code": w.heat_source.code, "action": "stocktake"},
        variant="stocktake",
        post_who=MANAGE,
        post_only=True,
        body=lambda w: {"day": _day(), "counted_tonnes": "100", "reason": "authz"},
        ok=frozenset({302, 400}),
    ),
    Route(
        "fuel:reverse",
        NOBODY,
        lambda w: {"code": w.heat_source.code, "pk": w.coal_entry.pk},
        post_who=MANAGE,
        post_only=True,
        body=lambda w: {"reason": "authz"},
        ok=frozenset({302}),
    ),
    Route(
        "fuel:cancel_expected",
        NOBODY,
        lambda w: {"code": w.heat_source.code, "pk": w.expected_delivery.pk},
        post_who=DISPATCH,
        post_only=True,
        ok=frozenset({302}),
    ),
    # --- emergency -------------------------------------------------------------------------
    Route(
        "emergency:mode",
        CITY,
        post_who=MANAGE,
        body=lambda w: {"on": "1", "reason": "authz"},
    ),
    Route(
        "emergency:disinfection",
        COMPANY,
        body=lambda w: {"site": w.extra["site"].pk, "agent": "authz"},
    ),
    Route(
        "emergency:tracing",
        DISPATCH,
        query=lambda w: {
            "staff": w.request.assignee.username,
            "since": _day(-7),
            "until": _day(),
        },
    ),
    Route(
        "emergency:calls",
        STAFF,
        body=lambda w: {"task": w.call.pk, "outcome": "authz"},
        post_who=DISPATCH | {AGENT},  # the agent holds this call
        scoped_list=True,
    ),
    Route(
        "emergency:flag_add",
        NOBODY,
        lambda w: {"household_pk": w.household.pk},
        post_who=CITY,
        post_only=True,
        body=lambda w: {"kind": "medical_needs", "starts_on": _day()},
        ok=frozenset({302}),
    ),
    Route(
        "emergency:flag_end",
        NOBODY,
        lambda w: {"pk": w.flag.pk},
        post_who=CITY,
        post_only=True,
        ok=frozenset({302}),
    ),
    # --- people ------------------------------------------------------------------------------
    Route(
        "people:roster",
        STAFF,
        post_who=DISPATCH,
        body=lambda w: {
            "staff": w.subject.pk,
            "starts_at": _moment(48),
            "ends_at": _moment(56),
        },
    ),
    Route(
        "people:remove_shift",
        NOBODY,
        lambda w: {"pk": w.shift.pk},
        post_who=DISPATCH,
        post_only=True,
        ok=frozenset({302}),
    ),
    # One's own check-in: every company role; ?for= someone else only their supervisor or
    # a manager (the variant below).
    Route("people:health", COMPANY - {ADM}),
    Route(
        "people:health",
        MANAGE,
        variant="for",
        query=lambda w: {"for": w.subject.pk},
        body=lambda w: {"temperature": "36.5", "status": "fit"},
    ),
    Route("people:health_team", MANAGE),
    Route("people:health_history", MANAGE, lambda w: {"pk": w.subject.pk}),
    # --- inspections -------------------------------------------------------------------------
    Route("inspections:oversight", CITY),
    Route("inspections:my_rounds", STAFF, scoped_list=True),
    Route(
        "inspections:round",
        CITY,
        lambda w: {"pk": w.round.pk},
        post_who=NOBODY,  # only its inspector submits
    ),
    Route(
        "inspections:round_draft",
        NOBODY,
        lambda w: {"pk": w.round.pk},
        post_only=True,
        body=lambda w: {"t": 1, "values": {}},
    ),
    Route(
        "inspections:round_assign",
        NOBODY,
        lambda w: {"pk": w.round.pk},
        post_who=DISPATCH,  # giving work is a dispatch decision; agents read the oversight
        post_only=True,
        body=lambda w: {"username": "inspector0002"},
        ok=frozenset({302}),
    ),
    Route("inspections:facilities", STAFF, post_who=MANAGE, scoped_list=True),
    Route("inspections:facility", CITY, lambda w: {"pk": w.facility.pk}),
    Route("inspections:visit_photo", CITY, lambda w: {"pk": w.visit.pk}),
    # --- reports ----------------------------------------------------------------------------
    Route("reports:briefing", CITY),
    Route(
        "reports:regenerate",
        NOBODY,
        post_who=MANAGE,
        post_only=True,
        body=lambda w: {"day": _day(-1)},
        ok=frozenset({302}),
    ),
    Route("reports:briefing_xlsx", CITY),
    Route("reports:briefing_pdf", CITY),
    # --- community --------------------------------------------------------------------------
    # Community workers are sent on to their own page.
    Route("community:partners", CITY, also_refused_with=frozenset({302})),
    Route("community:mine", frozenset({COMM}), scoped_list=True),
    Route("community:supplies", MANAGE),
    Route(
        "community:supplies_record",
        NOBODY,
        lambda w: {"kind": "receipt"},
        post_who=MANAGE,
        post_only=True,
        body=lambda w: {
            "item": w.supply_entry.item_id,
            "day": _day(),
            "quantity": "5",
            "source": "authz",
        },
        ok=frozenset({302}),
    ),
    Route(
        "community:supplies_reverse",
        NOBODY,
        lambda w: {"pk": w.supply_entry.pk},
        post_who=MANAGE,
        post_only=True,
        body=lambda w: {"reason": "authz"},
        ok=frozenset({302}),
    ),
    Route("community:partner", CITY, lambda w: {"pk": w.partner.pk}),
    Route(
        "community:partner_record",
        NOBODY,
        lambda w: {"pk": w.partner.pk, "action": "member"},
        post_who=MANAGE,
        post_only=True,
        body=lambda w: {
            "member": w.subject.username,
            "vanguard_post": "authz",
            "reported_on": _day(),
        },
        ok=frozenset({302, 400}),
    ),
    Route(
        "community:end_report",
        NOBODY,
        lambda w: {"pk": w.member_report.pk},
        post_who=MANAGE,
        post_only=True,
        body=lambda w: {"ended_on": _day()},
        ok=frozenset({302}),
    ),
    Route(
        "community:reverse_support",
        NOBODY,
        lambda w: {"pk": w.support_record.pk},
        post_who=MANAGE,
        post_only=True,
        body=lambda w: {"reason": "authz"},
        ok=frozenset({302}),
    ),
    # --- REST API (/api/v1/) ------------------------------------------------------------------
    Route("api:api-root", STAFF, api=True),
    Route("api:schema", STAFF, ok=frozenset({200})),
    Route("api:docs", STAFF),
    Route(
        "api:availability",
        CITY,
        api=True,
        query=lambda w: {"zone": w.zone.code, "duty": "repair"},
        openapi=("get /api/v1/staff/availability/",),
    ),
    Route(
        "api:telemetry_ingest",
        NOBODY,
        api=True,
        post_only=True,
        body=lambda w: [{"station": w.station.code}],
        openapi=("post /api/v1/telemetry/ingest/",),
    ),
    Route(
        "api:request-list",
        STAFF,
        api=True,
        scoped_list=True,
        post_who=STAFF - FAR,
        body=lambda w: {
            "category": "not_warm",
            "account_number": w.household.account_number,
            "attributes": {"indoor_temperature": "15", "rooms_affected": "whole_home"},
        },
        # Far staff: "no such household in your area" (400), nothing filed.
        also_refused_with=frozenset({400}),
        openapi=("get /api/v1/requests/", "post /api/v1/requests/"),
    ),
    Route(
        "api:request-detail",
        CITY,
        lambda w: {"number": w.request.number},
        api=True,
        openapi=("get /api/v1/requests/{number}/",),
    ),
    _api_action("accept", "accept"),
    _api_action("cancel", "cancel", lambda w: {"reason": "authz"}),
    _api_action("check-in", "check-in", lambda w: {"equipment": []}),
    _api_action("check-out", "check-out", lambda w: {"note": "authz"}),
    _api_action("dispatch-again", "dispatch", who=DISPATCH),
    _api_action("duplicate", "duplicate", lambda w: {"original": w.other_request.number}),
    _api_action("guidance", "guidance", lambda w: {"note": "authz"}),
    _api_action(
        "reassign",
        "reassign",
        lambda w: {"assignee": w.users[AGENT].username, "reason": "authz"},
        who=DISPATCH,
    ),
    _api_action("resolve", "resolve", lambda w: {"note": "authz", "measured_temperature": 20}),
    _api_action(
        "schedule",
        "schedule",
        lambda w: {"when": (timezone.now() + timedelta(days=1)).isoformat()},
    ),
    Route(
        "api:household-list",
        STAFF,
        api=True,
        scoped_list=True,
        query=lambda w: {"q": w.household.account_number},
        openapi=("get /api/v1/households/",),
    ),
    Route(
        "api:household-detail",
        CITY,
        lambda w: {"account_number": w.household.account_number},
        api=True,
        openapi=("get /api/v1/households/{account_number}/",),
    ),
    Route(
        "api:building-list", STAFF, api=True, scoped_list=True, openapi=("get /api/v1/buildings/",)
    ),
    Route(
        "api:building-detail",
        CITY,
        lambda w: {"code": w.building.code},
        api=True,
        openapi=("get /api/v1/buildings/{code}/",),
    ),
    Route(
        "api:station-list", STAFF, api=True, scoped_list=True, openapi=("get /api/v1/stations/",)
    ),
    Route(
        "api:station-detail",
        CITY,
        lambda w: {"code": w.station.code},
        api=True,
        openapi=("get /api/v1/stations/{code}/",),
    ),
    Route(
        "api:station-hours",
        CITY,
        lambda w: {"code": w.station.code},
        api=True,
        openapi=("get /api/v1/stations/{code}/hours/",),
    ),
    Route(
        "api:station-hours",
        FAR_STATION,
        lambda w: {"code": w.far_station.code},
        variant="own-community",
        api=True,
    ),
    Route(
        "api:station-readings",
        CITY,
        lambda w: {"code": w.station.code},
        api=True,
        openapi=("get /api/v1/stations/{code}/readings/",),
    ),
    Route(
        "api:station-readings",
        FAR_STATION,
        lambda w: {"code": w.far_station.code},
        variant="own-community",
        api=True,
    ),
    Route("api:zone-list", STAFF, api=True, scoped_list=True, openapi=("get /api/v1/zones/",)),
    Route(
        "api:zone-detail",
        CITY,
        lambda w: {"code": w.zone.code},
        api=True,
        openapi=("get /api/v1/zones/{code}/",),
    ),
    Route("api:fuel-source-list", CITY, api=True, openapi=("get /api/v1/fuel/sources/",)),
    Route(
        "api:fuel-source-detail",
        CITY,
        lambda w: {"code": w.heat_source.code},
        api=True,
        openapi=("get /api/v1/fuel/sources/{code}/",),
    ),
    Route(
        "api:fuel-source-forecast",
        CITY,
        lambda w: {"code": w.heat_source.code},
        api=True,
        openapi=("get /api/v1/fuel/sources/{code}/forecast/",),
    ),
    Route(
        "api:fuel-source-ledger",
        CITY,
        lambda w: {"code": w.heat_source.code},
        api=True,
        post_who=DISPATCH,
        body=lambda w: {"kind": "consumption", "day": _day(), "tonnes": "12.5"},
        openapi=(
            "get /api/v1/fuel/sources/{code}/ledger/",
            "post /api/v1/fuel/sources/{code}/ledger/",
        ),
    ),
    Route(
        "api:fuel-source-reverse",
        NOBODY,
        lambda w: {"code": w.heat_source.code, "entry": w.coal_entry.pk},
        api=True,
        post_who=DISPATCH,
        post_only=True,
        body=lambda w: {"reason": "authz"},
        ok=frozenset({201, 400}),
        openapi=("post /api/v1/fuel/sources/{code}/ledger/{entry}/reverse/",),
    ),
    Route(
        "api:inspection-facility-list",
        STAFF,
        api=True,
        scoped_list=True,
        openapi=("get /api/v1/inspections/facilities/",),
    ),
    Route(
        "api:inspection-facility-detail",
        CITY,
        lambda w: {"code": w.facility.code},
        api=True,
        openapi=("get /api/v1/inspections/facilities/{code}/",),
    ),
    Route(
        "api:inspection-plan-list",
        STAFF,
        api=True,
        scoped_list=True,
        openapi=("get /api/v1/inspections/plans/",),
    ),
    Route(
        "api:inspection-plan-detail",
        CITY,
        lambda w: {"pk": w.plan.pk},
        api=True,
        openapi=("get /api/v1/inspections/plans/{id}/",),
    ),
    Route(
        "api:inspection-round-list",
        STAFF,
        api=True,
        scoped_list=True,
        openapi=("get /api/v1/inspections/rounds/",),
    ),
    Route(
        "api:inspection-round-detail",
        CITY,
        lambda w: {"pk": w.round.pk},
        api=True,
        openapi=("get /api/v1/inspections/rounds/{id}/",),
    ),
    Route(
        "api:inspection-round-submit",
        NOBODY,
        lambda w: {"pk": w.round.pk},
        api=True,
        post_only=True,  # only its inspector: 403 for everyone else
        body=lambda w: {"key": "authz", "facilities": []},
        openapi=("post /api/v1/inspections/rounds/{id}/submit/",),
    ),
    Route(
        "api:inspection-finding-list",
        STAFF,
        api=True,
        scoped_list=True,
        openapi=("get /api/v1/inspections/findings/",),
    ),
    Route(
        "api:inspection-finding-detail",
        CITY,
        lambda w: {"pk": w.finding.pk},
        api=True,
        openapi=("get /api/v1/inspections/findings/{id}/",),
    ),
]

# Admin: Django's admin site checks is_staff (the demo managers, for master data, and the
# administrator) before any of its views; every one of its patterns is checked as a whole.
ADMIN_PREFIX = "admin/"
ADMIN_STAFF = MANAGE

# Views other engineers add while this matrix is written: listed when they appear.
PENDING: dict[str, str] = {}

# --- the module's world -------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    """The demo city and the far zone, built once; rolled back at the end of the module."""
    media = override_settings(
        MEDIA_ROOT=str(tmp_path_factory.mktemp("authz-media")), TWO_FACTOR_REQUIRED_ROLES=[]
    )
    media.enable()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build_world()
            site = (
                __import__("wennuan.emergency.models", fromlist=["DisinfectionSite"])
                .DisinfectionSite.objects.filter(active=True)
                .first()
            )
            built.extra["site"] = site
            # One logged-in client per persona for the module (a login per test would cost
            # as much as the request); each test starts from its original cookies.
            built.extra["clients"] = {persona: _new_client(built, persona) for persona in PERSONAS}
            watch = WriteWatch()
            watch.install()
            built.extra["watch"] = watch
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            media.disable()


@pytest.fixture
def in_world(world: World, db: Any) -> World:
    """The world, with this test in a savepoint of its own (pytest-django's ``db``)."""
    return world


def client_for(world: World, persona: str) -> Client:
    client, cookies = world.extra["clients"][persona]
    client.cookies = SimpleCookie()
    client.cookies.load(cookies)
    return client  # type: ignore[no-any-return]


def _new_client(world: World, persona: str) -> tuple[Client, str]:
    client = Client()
    if persona == RES:
        from wennuan.portal.selectors import HOUSEHOLD_KEY, VERIFIED_AT_KEY

        session = client.session
        session[HOUSEHOLD_KEY] = world.resident_household.pk
        session[VERIFIED_AT_KEY] = timezone.now().timestamp()
        session.save()
    elif persona != ANON:
        client.force_login(world.users[persona])
    return client, client.cookies.output(header="", sep=";")


def url_of(route: Route, world: World) -> str:
    if route.name == "track/":
        return "/track/"
    if route.name == "open311/v2/<path:path>":
        return "/open311/v2/nothing-here.json"
    return reverse(route.name, kwargs=route.kwargs(world))


def call(client: Client, route: Route, world: World, method: str) -> Any:
    url = url_of(route, world)
    if method == "GET":
        return client.get(url, route.query(world))
    query = route.query(world)
    if query:
        url = f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
    body = route.body(world)
    if route.api:
        return client.post(url, json.dumps(body), content_type="application/json")
    return client.post(url, body)


def leaks(route: Route, world: World, response: Any, method: str) -> list[str]:
    """The foreign markers a response shows (not counting what the request itself sent,
    which a search box or a form echoes)."""
    body = text_of(response)
    sent = json.dumps([route.query(world), route.body(world) if method == "POST" else {}])
    markers = world.private_markers() if route.public_data else world.markers()
    return [m for m in markers if m in body and m not in sent]


def text_of(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return str(response.content.decode("utf-8", "replace"))


def refusal_problem(route: Route, persona: str, method: str, response: Any) -> str | None:
    """None if the response refuses, else what is wrong with it."""
    status = response.status_code
    location = response.get("Location", "")
    target = resolve_url(route.redirect_to)
    if route.api and route.name.startswith("api:") and route.name not in ("api:schema", "api:docs"):
        allowed = {401, 403} if persona in (ANON, RES) else {401, 403, 404}
        if (
            method == "POST"
            and not route.post_only
            and not any(op.startswith("post ") for op in route.openapi)
        ):
            allowed.add(405)  # a read-only endpoint
    elif persona in (ANON, RES) or route.redirect_to != "login":
        allowed = {403, 404}
        if status in (301, 302) and location.startswith(target):
            return None
    else:
        allowed = {403, 404}
    if method == "GET" and route.post_only:
        allowed |= {404, 405}
    if status in allowed | route.also_refused_with:
        return None
    return f"{status} {location}".strip()


# --- the table covers everything ------------------------------------------------------------


def _patterns(resolver: URLResolver, prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ns
            if pattern.namespace:
                inner = f"{ns}:{pattern.namespace}" if ns else pattern.namespace
            yield from _patterns(pattern, route, inner)
            continue
        assert isinstance(pattern, URLPattern)
        name = f"{ns}:{pattern.name}" if ns and pattern.name else pattern.name
        yield (name or route.replace("^", "").replace("$", "")), route


def resolved_keys() -> set[str]:
    keys = set()
    for key, route in _patterns(get_resolver()):
        if route.startswith(ADMIN_PREFIX):
            continue
        keys.add(key)
    return keys


def test_every_url_pattern_is_in_the_table() -> None:
    named = {route.name for route in ROUTES} | set(PENDING)
    resolved = resolved_keys()
    missing = sorted(resolved - named)
    stale = sorted(named - resolved)
    assert not missing, (
        "URL patterns without an entry in ROUTES (say who may use them): " + ", ".join(missing)
    )
    assert not stale, "ROUTES entries for patterns that no longer exist: " + ", ".join(stale)


def test_every_openapi_operation_is_in_the_table() -> None:
    schema = yaml.safe_load((Path(settings.BASE_DIR) / "docs" / "openapi.yaml").read_text())
    operations = {
        f"{method} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    covered = {op for route in ROUTES for op in route.openapi}
    assert sorted(operations - covered) == [], "API operations missing from ROUTES"
    assert sorted(covered - operations) == [], "ROUTES names API operations the schema lacks"


# --- refusals ---------------------------------------------------------------------------------


def _refusal_cases() -> Iterator[Any]:
    for route in ROUTES:
        if route.public:
            continue
        for persona in PERSONAS:
            for method in ("GET", "POST"):
                allowed = route.who if method == "GET" else route.posters
                if persona in allowed:
                    continue
                yield pytest.param(route, persona, method, id=f"{route.key}-{persona}-{method}")


@pytest.mark.parametrize(("route", "persona", "method"), list(_refusal_cases()))
def test_refused_and_nothing_changes(
    in_world: World, route: Route, persona: str, method: str
) -> None:
    client = client_for(in_world, persona)
    watch: WriteWatch = in_world.extra["watch"]
    watch.start()
    response = call(client, route, in_world, method)
    written = watch.written()
    problem = refusal_problem(route, persona, method, response)
    assert problem is None, f"{route.key} answered {persona}'s {method} with {problem}"
    assert not written, f"{route.key}: {persona}'s refused {method} wrote to {sorted(written)}"
    leaked = leaks(route, in_world, response, method)
    assert not leaked, f"{route.key}: {persona}'s refused {method} shows {leaked}"


# --- those who may, can (so the refusals above are not for a wrong argument) ------------------


def _allowed_cases() -> Iterator[Any]:
    for route in ROUTES:
        if route.post_only:
            for persona in sorted(route.posters):
                yield pytest.param(route, persona, "POST", id=f"{route.key}-{persona}-POST")
            continue
        for persona in PERSONAS:
            if persona in route.who:
                yield pytest.param(route, persona, "GET", id=f"{route.key}-{persona}-GET")


@pytest.mark.parametrize(("route", "persona", "method"), list(_allowed_cases()))
def test_those_who_may_use_it_can(in_world: World, route: Route, persona: str, method: str) -> None:
    response = call(client_for(in_world, persona), route, in_world, method)
    assert response.status_code in route.ok, (
        f"{route.key}: {persona}'s {method} got {response.status_code} "
        f"{response.get('Location', '')}"
    )
    if route.scoped_list and persona in FAR | RESIDENT and response.status_code == 200:
        leaked = leaks(route, in_world, response, method)
        assert not leaked, f"{route.key} shows {persona} what is not theirs: {leaked}"
        if route.api:
            zones = set(_zones_in(json.loads(text_of(response))))
            assert zones <= {"ZFAR"}, f"{route.key} lists {persona} objects of zones {zones}"


def _zones_in(data: Any) -> Iterator[str]:
    """Every zone code in an API answer (a "zone" field, as a code or an object with one)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "zone" and isinstance(value, str):
                yield value
            elif key == "zone" and isinstance(value, dict) and "code" in value:
                yield value["code"]
            else:
                yield from _zones_in(value)
    elif isinstance(data, list):
        for item in data:
            yield from _zones_in(item)


# --- the admin site ---------------------------------------------------------------------------


def _admin_urls() -> list[str]:
    urls = []
    for key, route in _patterns(get_resolver()):
        if not route.startswith(ADMIN_PREFIX) or not key.startswith("admin:"):
            continue
        pattern = re.compile(route.removeprefix(ADMIN_PREFIX).replace("^", ""))
        values = {"object_id": "1", "app_label": "people", "content_type_id": "1"}
        kwargs = {name: values[name] for name in pattern.groupindex if name in values}
        kwargs |= {
            name: values[name] for name in re.findall(r"<(?:\w+:)?(\w+)>", route) if name in values
        }
        try:
            urls.append(reverse(key, kwargs=kwargs))
        except Exception:
            continue
    return sorted(set(urls))


@pytest.mark.parametrize("persona", sorted(EVERYONE - ADMIN_STAFF))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_admin_site_is_for_staff_only(in_world: World, persona: str, method: str) -> None:
    client = client_for(in_world, persona)
    watch: WriteWatch = in_world.extra["watch"]
    urls = _admin_urls()
    assert len(urls) > 100
    wrong = []
    watch.start()
    for url in urls:
        if url in (reverse("admin:login"), reverse("admin:logout")):
            continue  # the login form is public; logging out would end the persona's session
        response = client.get(url) if method == "GET" else client.post(url, {"name": "x"})
        location = response.get("Location", "")
        if not (response.status_code == 302 and location.startswith(reverse("admin:login"))):
            wrong.append(f"{url}: {response.status_code} {location}")
    assert not wrong, f"{persona}'s {method} in the admin: " + "; ".join(wrong)
    assert not watch.written(), f"{persona}'s {method} in the admin wrote to the database"


@pytest.mark.parametrize("persona", sorted(ADMIN_STAFF))
def test_the_admin_site_opens_for_its_staff(in_world: World, persona: str) -> None:
    assert client_for(in_world, persona).get(reverse("admin:index")).status_code == 200


def test_the_write_watch_sees_a_write(in_world: World) -> None:
    """The "nothing changes" checks above are only as good as this."""
    from wennuan.grid.models import Zone

    watch: WriteWatch = in_world.extra["watch"]
    watch.start()
    assert watch.written() == set()
    Zone.objects.filter(pk=in_world.far_zone.pk).update(name="改名")
    assert watch.written() == {"grid_zone"}
