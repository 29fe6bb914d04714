"""The one FilterSet of the request list, shared by the dispatch board and (later) the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from wennuan.core.widgets import (
    QuickNullBooleanSelect,
    QuickSelect,
    QuickSelectMultiple,
    QuickTextInput,
)
from wennuan.grid.models import Zone
from wennuan.service.choices import Channel, Priority, SlaState, Status
from wennuan.service.models import ServiceCategory, ServiceRequest

# Up to this many zones the zone filter is a drop-down; a city with more gets a text box that
# takes a zone's code or part of its name: 2,016 options cost every load of the board ~10 ms
# and 90 KB of the page (docs/performance.md), and nobody scrolls through them.
ZONE_SELECT_LIMIT = 200


def zone_choices(limit: int | None = None) -> list[tuple[int, str]]:
    """The zones as (pk, "code name"), in code order; at most ``limit`` of them."""
    zones = Zone.objects.order_by("code").values_list("pk", "code", "name")
    return [(pk, f"{code} {name}") for pk, code, name in zones[:limit]]


class ZoneInput(QuickTextInput):
    """The zone filter's input: a drop-down of the zones, or past ZONE_SELECT_LIMIT a text box
    for a zone's code or name. Decided when rendered, so the API (which never renders the
    form) does not read the zones."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        zones = zone_choices(limit=ZONE_SELECT_LIMIT + 1)
        css = [c for c in self.attrs.get("class", "").split() if c != "form-control"]
        if len(zones) > ZONE_SELECT_LIMIT:
            box = QuickTextInput(attrs={**self.attrs, "placeholder": _("Zone code or name")})
            return box.render(name, value, attrs, renderer)
        # Plain (pk, label) pairs written out in Python (QuickSelect), not model instances.
        select = QuickSelect(
            attrs={**self.attrs, "class": " ".join([*css, "form-select"])},
            choices=[("", "---------"), *zones],
        )
        return select.render(name, value, attrs, renderer)


class RequestFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Filters of the dispatch board: status, zone, category, priority, SLA, channel, text.

    Its widgets write their markup in Python (``core.widgets``): the board renders this form
    on every load."""

    q = django_filters.CharFilter(
        label=_("Number or address"), method="search", widget=QuickTextInput
    )
    # One ``status IN (…)`` (method): django-filter's default ORs one ``status = …`` per value
    # and adds SELECT DISTINCT over every column (60 ms at a season of requests); PostgreSQL
    # walks the whole status index to test the ORs (5.8 ms) where IN is an index condition
    # (0.3 ms).
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Status.choices,
        method="in_status",
        widget=QuickSelectMultiple(attrs={"size": 3, "class": "form-select form-select-sm"}),
    )
    # A zone's pk (the drop-down), or its code or part of its name (the text box of a large
    # city): see ZoneInput.
    zone = django_filters.CharFilter(label=_("Zone"), method="in_zone", widget=ZoneInput)
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=ServiceCategory.objects.all(), widget=QuickSelect
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=Priority.choices, widget=QuickSelect
    )
    sla_state = django_filters.ChoiceFilter(
        label=_("SLA"), choices=SlaState.choices, widget=QuickSelect
    )
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=Channel.choices, widget=QuickSelect
    )
    unassigned = django_filters.BooleanFilter(
        label=_("Unassigned only"),
        field_name="assignee",
        lookup_expr="isnull",
        widget=QuickNullBooleanSelect,
    )

    class Meta:
        model = ServiceRequest
        fields: list[str] = []

    def in_status(
        self, queryset: QuerySet[ServiceRequest], name: str, value: list[str]
    ) -> QuerySet[ServiceRequest]:
        return queryset.filter(status__in=value) if value else queryset

    def in_zone(
        self, queryset: QuerySet[ServiceRequest], name: str, value: str
    ) -> QuerySet[ServiceRequest]:
        text = str(value).strip()
        if not text:
            return queryset
        if text.isdigit():
            return queryset.filter(zone_id=int(text))
        return queryset.filter(Q(zone__code__iexact=text) | Q(zone__name__contains=text))

    def search(
        self, queryset: QuerySet[ServiceRequest], name: str, value: Any
    ) -> QuerySet[ServiceRequest]:
        text = str(value).strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(number=text)
            | Q(household__account_number=text)
            | Q(household__address__contains=text)
            | Q(location_text__contains=text)
        )
