"""Choices of service requests, with the lifecycle's allowed transitions written as data."""

from __future__ import annotations

from django.db.models import IntegerChoices, TextChoices
from django.utils.translation import gettext_lazy as _


class Status(TextChoices):
    """Where a request is in its life."""

    SUBMITTED = "submitted", _("Submitted")
    ASSIGNED = "assigned", _("Assigned")
    ACCEPTED = "accepted", _("Accepted")
    GUIDANCE = "guidance", _("Remote guidance")
    VISIT_SCHEDULED = "visit_scheduled", _("Visit scheduled")
    ON_SITE = "on_site", _("On site")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    CANCELLED = "cancelled", _("Cancelled")
    DUPLICATE = "duplicate", _("Duplicate")


# Work states a (re)assignment may start from: a request can be handed to someone else
# at any point before it is resolved.
_REASSIGNABLE = {Status.ASSIGNED, Status.ACCEPTED, Status.GUIDANCE, Status.VISIT_SCHEDULED}

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.ASSIGNED, Status.CANCELLED, Status.DUPLICATE}),
    Status.ASSIGNED: frozenset(
        {Status.ASSIGNED, Status.ACCEPTED, Status.CANCELLED, Status.DUPLICATE}
    ),
    Status.ACCEPTED: frozenset(
        {
            Status.ASSIGNED,
            Status.GUIDANCE,
            Status.VISIT_SCHEDULED,
            Status.ON_SITE,
            Status.RESOLVED,
            Status.CANCELLED,
            Status.DUPLICATE,
        }
    ),
    Status.GUIDANCE: frozenset(
        {
            Status.ASSIGNED,
            Status.GUIDANCE,
            Status.VISIT_SCHEDULED,
            Status.RESOLVED,
            Status.CANCELLED,
        }
    ),
    Status.VISIT_SCHEDULED: frozenset(
        {Status.ASSIGNED, Status.VISIT_SCHEDULED, Status.ON_SITE, Status.CANCELLED}
    ),
    Status.ON_SITE: frozenset({Status.RESOLVED, Status.VISIT_SCHEDULED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.REOPENED: frozenset({Status.ASSIGNED, Status.SUBMITTED, Status.CANCELLED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.DUPLICATE: frozenset(),
}

OPEN_STATUSES = frozenset(
    {
        Status.SUBMITTED,
        Status.ASSIGNED,
        Status.ACCEPTED,
        Status.GUIDANCE,
        Status.VISIT_SCHEDULED,
        Status.ON_SITE,
        Status.REOPENED,
    }
)
# While the request waits for the resident (trying remote guidance), its SLA clock pauses.
PAUSED_STATUSES = frozenset({Status.GUIDANCE, Status.RESOLVED})
FINAL_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED, Status.DUPLICATE})


class Channel(TextChoices):
    """How a request reached the company."""

    PORTAL = "portal", _("Online (resident)")
    HOTLINE = "hotline", _("Hotline")
    COMMUNITY = "community", _("Community worker")
    OPEN311 = "open311", _("Open311")
    API = "api", _("API")
    STAFF = "staff", _("Staff")
    ALARM = "alarm", _("Station alarm")
    INSPECTION = "inspection", _("Inspection finding")


class Priority(IntegerChoices):
    """Urgency; a lower number is more urgent."""

    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


class SlaState(TextChoices):
    """Where a request stands against its next due time."""

    ON_TIME = "on_time", _("On time")
    AT_RISK = "at_risk", _("About to breach")
    BREACHED = "breached", _("Breached")


class Datatype(TextChoices):
    """Datatypes of category attributes, as Open311 GeoReport v2 names them."""

    STRING = "string", _("Text (one line)")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Text (several lines)")
    SINGLEVALUELIST = "singlevaluelist", _("One choice")
    MULTIVALUELIST = "multivaluelist", _("Several choices")


class EventKind(TextChoices):
    """What an event row records."""

    STATUS = "status", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")
    NOTE = "note", _("Note")
    ESCALATION = "escalation", _("Escalation")
    VISIT = "visit", _("Home visit")
    RATING = "rating", _("Rating")
    INCIDENT = "incident", _("Network incident")


class IncidentStatus(TextChoices):
    """A network incident is open until its cause is fixed."""

    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
