"""Network incidents: many "not warm" requests with one cause upstream get one answer.

- ``correlate_incidents`` (every minute) opens an incident for a station whose buildings sent
  INCIDENT_MIN_REQUESTS "not warm" requests within INCIDENT_WINDOW_MINUTES, or any while the
  station has an open alarm; and links new requests to a station's open incident.
- Intake links a "not warm" request at once when its station already has an open incident.
- Every newly linked resident gets one message; ``update_incident`` sends each one another.
- ``resolve_incident`` resolves every open linked request with a note; residents are asked to
  confirm, as for any request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.notify.choices import Template
from wennuan.notify.services import queued_together
from wennuan.service.choices import OPEN_STATUSES, EventKind, IncidentStatus
from wennuan.service.models import Incident, IncidentEvent, ServiceRequest

NOT_WARM = "not_warm"


class IncidentRefused(Exception):
    """A change an incident does not allow (already resolved, nothing to say)."""


def _eta_text(incident: Incident, language: str) -> str:
    if incident.expected_recovery_at is None:
        return "尽快" if not language.startswith("en") else "as soon as possible"
    return f"{timezone.localtime(incident.expected_recovery_at):%m-%d %H:%M}"


def _tell(incident: Incident, requests: list[ServiceRequest]) -> None:
    """One message to each of these requests' residents about the incident."""
    from wennuan.service.services.base import _notify_resident

    with queued_together():
        for request in requests:
            _notify_resident(
                request,
                Template.INCIDENT_NOTICE,
                {
                    "number": request.number,
                    "cause": incident.cause,
                    "eta": _eta_text(incident, request.language),
                },
            )


def _link(incident: Incident, requests: list[ServiceRequest], *, note: str) -> int:
    """Link requests to the incident, record it on each, and tell their residents once."""
    if not requests:
        return 0
    from wennuan.service.services.base import _events_together, _record

    ServiceRequest.objects.filter(pk__in=[r.pk for r in requests]).update(incident=incident)
    note_text = _("Part of network incident #%(id)s: %(cause)s") % {
        "id": incident.pk,
        "cause": incident.cause,
    }
    # One insert for all of them; at intake this joins the intake's own batch of events.
    with _events_together():
        for r in requests:
            _record(r, kind=EventKind.INCIDENT, note=note_text, public=True)
    IncidentEvent.objects.create(incident=incident, kind="joined", note=note[:400])
    for r in requests:
        r.incident = incident
    _tell(incident, requests)
    return len(requests)


def link_on_intake(request: ServiceRequest) -> Incident | None:
    """At intake: a "not warm" request joins the open incident of its station, else of its
    station's heat source (one query)."""
    if request.station_id is None or request.category.code != NOT_WARM:
        return None
    incident = (
        Incident.objects.filter(status=IncidentStatus.OPEN)
        .filter(Q(station_id=request.station_id) | Q(heat_source__stations=request.station_id))
        .order_by(F("station_id").asc(nulls_last=True))
        .first()
    )
    if incident is not None:
        _link(incident, [request], note=_("request %(n)s joined") % {"n": request.number})
    return incident


def open_incident(
    *,
    cause: str,
    station_id: int | None = None,
    heat_source_id: int | None = None,
    actor: Any = None,
    expected_recovery_at: datetime | None = None,
    alarm: Any = None,
    now: datetime | None = None,
) -> Incident:
    """Open an incident for a station or a whole heat source (one open each) and link the
    open "not warm" requests beneath it."""
    if (station_id is None) == (heat_source_id is None):
        raise IncidentRefused(_("Choose a station or a heat source."))
    if not cause.strip():
        raise IncidentRefused(_("Name the cause."))
    now = now or timezone.now()
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                station_id=station_id,
                heat_source_id=heat_source_id,
                cause=cause.strip()[:200],
                expected_recovery_at=expected_recovery_at,
                alarm=alarm,
                opened_at=now,
                opened_by=actor,
            )
    except IntegrityError as exc:
        raise IncidentRefused(_("It already has an open incident.")) from exc
    IncidentEvent.objects.create(incident=incident, actor=actor, kind="opened", note=incident.cause)
    beneath = Q(station_id=station_id) if station_id else Q(station__heat_source_id=heat_source_id)
    waiting = list(
        ServiceRequest.objects.select_related("household", "category").filter(
            beneath,
            category__code=NOT_WARM,
            status__in=OPEN_STATUSES,
            incident__isnull=True,
        )
    )
    _link(incident, waiting, note=_("%(n)s open requests joined") % {"n": len(waiting)})
    _call_vulnerable(incident)
    return incident


def _call_vulnerable(incident: Incident) -> None:
    """A check-in call for every vulnerable home beneath the incident: its heat is off."""
    from wennuan.emergency.models import CallReason
    from wennuan.emergency.services import call_vulnerable_households

    call_vulnerable_households(
        station_id=incident.station_id,
        heat_source_id=incident.heat_source_id,
        reason=CallReason.INCIDENT,
        detail=incident.cause,
        key=f"incident-{incident.pk}",
    )


def correlate_incidents(*, now: datetime | None = None) -> dict[str, int]:
    """Every minute: link new "not warm" requests to open incidents, then open incidents from
    clusters — a heat source first (complaints from INCIDENT_SOURCE_MIN_STATIONS of its
    stations), then single stations (INCIDENT_MIN_REQUESTS, or one meeting an open alarm).
    A few queries in all."""
    from wennuan.grid.models import Station
    from wennuan.operations.choices import OPEN_ALARM_STATUSES
    from wennuan.operations.models import Alarm

    now = now or timezone.now()
    counts = {"opened": 0, "linked": 0}
    # 1. Requests beneath an open incident (station first, else heat source) join it.
    open_incidents = list(Incident.objects.filter(status=IncidentStatus.OPEN))
    by_station: dict[int, Incident] = {i.station_id: i for i in open_incidents if i.station_id}
    by_source: dict[int, Incident] = {
        i.heat_source_id: i for i in open_incidents if i.heat_source_id
    }
    source_of = dict(Station.objects.values_list("pk", "heat_source_id"))
    strays = ServiceRequest.objects.select_related("household", "category").filter(
        Q(station_id__in=list(by_station)) | Q(station__heat_source_id__in=list(by_source)),
        category__code=NOT_WARM,
        status__in=OPEN_STATUSES,
        incident__isnull=True,
    )
    joining: dict[int, list[ServiceRequest]] = {}
    for request in strays:
        station_id = request.station_id or 0  # never 0: the query asked for a station
        incident = by_station.get(station_id) or by_source.get(source_of.get(station_id, 0))
        if incident is not None:
            joining.setdefault(incident.pk, []).append(request)
    for incident in open_incidents:
        mine = joining.get(incident.pk, [])
        joined = _("%(n)s requests joined") % {"n": len(mine)}
        counts["linked"] += _link(incident, mine, note=joined)
    recent = ServiceRequest.objects.filter(
        category__code=NOT_WARM,
        status__in=OPEN_STATUSES,
        incident__isnull=True,
        station__isnull=False,
        created_at__gte=now - timedelta(minutes=settings.INCIDENT_WINDOW_MINUTES),
    )
    # 2. A heat source: complaints from several of its stations at once.
    sources = (
        recent.exclude(station__heat_source_id__in=list(by_source))
        .values("station__heat_source_id")
        .annotate(n=Count("pk"), stations=Count("station_id", distinct=True))
        .filter(
            stations__gte=settings.INCIDENT_SOURCE_MIN_STATIONS,
            n__gte=settings.INCIDENT_MIN_REQUESTS,
        )
        .order_by()
    )
    for row in sources:
        cause = _("%(n)s homes fed by %(s)s stations of one heat source report no heat") % {
            "n": row["n"],
            "s": row["stations"],
        }
        try:
            open_incident(heat_source_id=row["station__heat_source_id"], cause=cause, now=now)
        except IncidentRefused:
            continue
        counts["opened"] += 1
    # 3. A station: enough recent complaints, or any while the station has an open alarm.
    per_station = dict(
        recent.filter(incident__isnull=True)
        .exclude(station_id__in=list(by_station))
        .values("station_id")
        .annotate(n=Count("pk"))
        .values_list("station_id", "n")
    )
    alarms = {
        a.station_id: a
        for a in Alarm.objects.select_related("rule").filter(
            station_id__in=list(per_station), status__in=OPEN_ALARM_STATUSES
        )
    }
    for station_id, n in per_station.items():
        alarm = alarms.get(station_id)
        if alarm is None and n < settings.INCIDENT_MIN_REQUESTS:
            continue
        cause = (
            _("%(rule)s at the station") % {"rule": alarm.rule.name}
            if alarm is not None
            else _("%(n)s homes fed by one station report no heat") % {"n": n}
        )
        try:
            open_incident(station_id=station_id, cause=cause, alarm=alarm, now=now)
        except IncidentRefused:
            continue  # opened meanwhile by someone else
        counts["opened"] += 1
    return counts


def _require_dispatcher(actor: Any) -> None:
    # Telling every linked resident, or resolving all their requests at once, is dispatch's
    # decision (User.can_dispatch); no actor is the system (jobs, the demo).
    if actor is not None and not actor.can_dispatch:
        raise IncidentRefused(_("Only dispatchers, managers and administrators decide this."))


def update_incident(
    *, incident: Incident, actor: Any, cause: str = "", expected_recovery_at: datetime | None = None
) -> Incident:
    """Change the cause or the expected recovery; every linked open request's resident hears."""
    _require_dispatcher(actor)
    if not cause.strip() and expected_recovery_at is None:
        raise IncidentRefused(_("Give a new cause or an expected recovery time."))
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status != IncidentStatus.OPEN:
            raise IncidentRefused(_("The incident is resolved."))
        if cause.strip():
            incident.cause = cause.strip()[:200]
        if expected_recovery_at is not None:
            incident.expected_recovery_at = expected_recovery_at
        incident.save(update_fields=["cause", "expected_recovery_at"])
        IncidentEvent.objects.create(
            incident=incident, actor=actor, kind="updated", note=incident.cause
        )
        linked = list(
            incident.requests.select_related("household", "category").filter(
                status__in=OPEN_STATUSES
            )
        )
        _tell(incident, linked)
    return incident


def resolve_incident(*, incident: Incident, actor: Any, note: str) -> int:
    """The cause is fixed: resolve every open linked request with the note (each resident is
    asked to confirm), and the incident. Returns how many requests were resolved."""
    from wennuan.service.services import resolve_by_incident

    _require_dispatcher(actor)
    if not note.strip():
        raise IncidentRefused(_("Say what was fixed."))
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status != IncidentStatus.OPEN:
            raise IncidentRefused(_("The incident is resolved."))
        now = timezone.now()
        resolved = 0
        for request in incident.requests.select_related("household", "category").filter(
            status__in=OPEN_STATUSES
        ):
            resolve_by_incident(request=request, actor=actor, note=note, now=now)
            resolved += 1
        incident.status = IncidentStatus.RESOLVED
        incident.resolved_at = now
        incident.save(update_fields=["status", "resolved_at"])
        IncidentEvent.objects.create(
            incident=incident, actor=actor, kind="resolved", note=note[:400]
        )
    return resolved
