"""The one FilterSet of the request list, shared by the dispatch board and (later) the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from wennuan.core.widgets import QuickSelect
from wennuan.grid.models import Zone
from wennuan.service.choices import Channel, Priority, SlaState, Status
from wennuan.service.models import ServiceCategory, ServiceRequest


def zone_choices() -> list[tuple[int, str]]:
    """Every zone as (pk, "code name"), in code order."""
    return [
        (pk, f"{code} {name}")
        for pk, code, name in Zone.objects.order_by("code").values_list("pk", "code", "name")
    ]


class RequestFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Filters of the dispatch board: status, zone, category, priority, SLA, channel, text."""

    q = django_filters.CharFilter(label=_("Number or address"), method="search")
    # distinct=False: status is a column of the request itself, and SELECT DISTINCT over every
    # column cost the board 60 ms at a season of requests.
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=Status.choices, distinct=False
    )
    # A city has thousands of zones: plain (pk, label) pairs, written out in Python
    # (QuickSelect); model instances and Django's per-option templates cost the board 90 ms.
    zone = django_filters.ChoiceFilter(
        label=_("Zone"), field_name="zone", choices=zone_choices, widget=QuickSelect
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=ServiceCategory.objects.all()
    )
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Priority.choices)
    sla_state = django_filters.ChoiceFilter(label=_("SLA"), choices=SlaState.choices)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    unassigned = django_filters.BooleanFilter(
        label=_("Unassigned only"), field_name="assignee", lookup_expr="isnull"
    )

    class Meta:
        model = ServiceRequest
        fields: list[str] = []

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
