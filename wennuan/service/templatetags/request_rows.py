"""How a request shows in a list: its SLA and priority badges (the board, "my work", the
request page) and the dispatch board's table rows.

Tags written in Python, not included templates: the board shows 25 to 100 rows on every load
and every dispatcher's board reloads its table every 30 seconds; an included template cost
each row ~0.3 ms, these ~0.1 ms (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from wennuan.service.choices import Priority, SlaState
from wennuan.service.models import ServiceRequest

register = template.Library()

SLA_CLASSES: dict[str, str] = {
    SlaState.BREACHED: "text-bg-danger",
    SlaState.AT_RISK: "text-bg-warning",
}
PRIORITY_CLASSES: dict[int, str] = {
    Priority.URGENT: "text-bg-danger",
    Priority.HIGH: "text-bg-warning",
}

# A row of the board; selectors.BOARD_COLUMNS fetches just the columns it shows.
BOARD_ROW = (
    '<tr data-request="{number}">'
    "<td>{checkbox}</td>"
    '<td><a href="{url}">{number}</a><div class="small text-body-secondary">{channel}</div></td>'
    "<td>{category}{temperature}</td>"
    "<td>{address}</td>"
    "<td>{status}</td>"
    "<td>{assignee}</td>"
    "<td>{due}</td>"
    "<td>{badges}</td>"
    "</tr>"
)


@register.simple_tag
def request_badges(request: ServiceRequest) -> SafeString:
    """Two badges: where the request stands against its due time, and its priority."""
    return format_html(
        '<span class="badge {}">{}</span>\n<span class="badge {}">{}</span>',
        SLA_CLASSES.get(request.sla_state, "text-bg-light border"),
        request.get_sla_state_display(),
        PRIORITY_CLASSES.get(request.priority, "text-bg-secondary"),
        request.get_priority_display(),
    )


CHECKBOX = (
    '<input class="form-check-input" type="checkbox" name="selected" value="{}" aria-label="{}">'
)


@register.simple_tag
def board_rows(requests: Iterable[ServiceRequest], selectable: bool = False) -> SafeString:
    """The dispatch board's rows: a checkbox for the bulk actions (``selectable``: for those
    who may use them), the number (linked) and channel, category and measured temperature,
    address, status, assignee, next due time and the badges. Every value is escaped by
    ``format_html``."""
    detail_url = reverse("service:detail", args=[0]).removesuffix("0/")
    return format_html_join(
        "\n",
        BOARD_ROW,
        (
            {
                "number": r.number,
                "checkbox": format_html(CHECKBOX, r.pk, r.number) if selectable else "",
                "url": f"{detail_url}{r.pk}/",
                "channel": r.get_channel_display(),
                "category": r.category.name,
                "temperature": (
                    "" if r.measured_temperature is None else f" · {r.measured_temperature} °C"
                ),
                "address": r.household.address if r.household is not None else r.location_text,
                "status": r.get_status_display(),
                "assignee": r.assignee.display_name if r.assignee is not None else "—",
                "due": _short_time(r.next_due),
                "badges": request_badges(r),
            }
            for r in requests
        ),
    )


def _short_time(moment: object) -> str:
    """ "11-29 08:30" in the company's time zone, or "—"."""
    if moment is None:
        return "—"
    return format_date(timezone.localtime(moment), "m-d H:i")  # type: ignore[arg-type]
