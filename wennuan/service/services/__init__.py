"""State changes of service requests. Every channel (portal, hotline, community, Open311,
API) calls these functions; each runs in one transaction and writes an event row.

One module per concern: ``base`` (limits, errors, events, status moves, messages), ``intake``,
``dispatching``, ``work`` (the lifecycle after assignment) and ``periodic``. This package
exports their public functions; helpers shared between them live in ``base``.
"""

from wennuan.service.services.base import (
    MAX_DESCRIPTION,
    MAX_DEVICE_ID,
    MAX_MEDIA_URL,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    PPE_ITEMS,
    PPE_LABELS,
    TEMPERATURE_ATTRIBUTE,
    TEMPERATURE_RANGE,
    RequestInvalid,
    Submitted,
    TransitionRefused,
    category_name,
    resident_label,
    resident_language,
    resident_phone,
)
from wennuan.service.services.dispatching import (
    dispatch_request,
    reassign_open_work,
    reassign_request,
)
from wennuan.service.services.intake import (
    open_station_work_order,
    photo_type,
    submit_request,
)
from wennuan.service.services.periodic import (
    auto_close_resolved,
    sweep_sla,
)
from wennuan.service.services.work import (
    accept_request,
    approve_home_visit,
    cancel_request,
    check_in,
    check_out,
    confirm_fix,
    give_guidance,
    mark_duplicate,
    rate_request,
    reopen_request,
    resolve_by_incident,
    resolve_request,
    schedule_visit,
)

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_DEVICE_ID",
    "MAX_MEDIA_URL",
    "MAX_PHOTOS",
    "MAX_PHOTO_BYTES",
    "PPE_ITEMS",
    "PPE_LABELS",
    "TEMPERATURE_ATTRIBUTE",
    "TEMPERATURE_RANGE",
    "RequestInvalid",
    "Submitted",
    "TransitionRefused",
    "accept_request",
    "approve_home_visit",
    "auto_close_resolved",
    "cancel_request",
    "category_name",
    "check_in",
    "check_out",
    "confirm_fix",
    "dispatch_request",
    "give_guidance",
    "mark_duplicate",
    "open_station_work_order",
    "photo_type",
    "rate_request",
    "reassign_open_work",
    "reassign_request",
    "reopen_request",
    "resident_label",
    "resident_language",
    "resident_phone",
    "resolve_by_incident",
    "resolve_request",
    "schedule_visit",
    "submit_request",
    "sweep_sla",
]
