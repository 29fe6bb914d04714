"""REST API /api/v1/: thin views over the same querysets (for_user) and services as the pages.

Token or session authentication; every list is scoped exactly like its page and paginated.
POSTs take an Idempotency-Key header (see idempotency.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from wennuan.api import idempotency, pagination, serializers
from wennuan.grid.models import Building, Household, Station, Zone, ZoneAssignment
from wennuan.grid.selectors import search_households
from wennuan.operations.access import sees_network
from wennuan.operations.selectors import station_hours, station_readings
from wennuan.people.choices import Role
from wennuan.people.models import User
from wennuan.service import dispatch
from wennuan.service.choices import Channel
from wennuan.service.filters import RequestFilter
from wennuan.service.models import ServiceCategory, ServiceRequest
from wennuan.service.selectors import board_requests
from wennuan.service.services import (
    RequestInvalid,
    TransitionRefused,
    accept_request,
    cancel_request,
    check_in,
    check_out,
    dispatch_request,
    give_guidance,
    mark_duplicate,
    reassign_request,
    resolve_request,
    schedule_visit,
    submit_request,
)


class Conflict(exceptions.APIException):
    """The request's state does not allow this change (the lifecycle, or the rules)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "transition_refused"


class IdempotentMixin:
    # Idempotency-Key handling for every POST of a view (see idempotency.py). A comment,
    # not a docstring: the schema would show a docstring as every view's description.

    _idempotency: Any = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # auth, throttles
        self._idempotency = idempotency.begin(request)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, idempotency.Replay):
            return idempotency.replayed(exc.record)
        return super().handle_exception(exc)  # type: ignore[misc, no-any-return]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if self._idempotency is not None:
            idempotency.finish(self._idempotency, response)
            self._idempotency = None
        return response

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method != "POST" or not request.headers.get(idempotency.HEADER, "").strip():
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        # The claimed key, the work and the stored answer commit in one transaction. A crash,
        # a worker killed midway or a database gone away leaves neither the work nor a key
        # stuck "still running": the retry with the same key runs it again, exactly once
        # (bench/faults.py --intake found both: 409 for ever, and filed-but-unanswered).
        # A concurrent retry waits on the key's unique index, then replays the answer.
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            if response.status_code >= 500:
                transaction.set_rollback(True)  # no answer stored: nothing done either
        return response


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsAuthenticated ran before any handler
    return user


def _require_dispatch(request: Request) -> None:
    # Who does which work is dispatch's decision (User.can_dispatch), not the hotline's.
    if not _user(request).can_dispatch:
        raise exceptions.PermissionDenied(
            _("Only dispatchers, managers and administrators decide this.")
        )


Change = Callable[[ServiceRequest, User, dict[str, Any]], Any]

IDEMPOTENCY_KEY = OpenApiParameter(
    idempotency.HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID). A retry with the same key and body gets the first "
        "answer again; the same key with another body gets 422. Kept at least 24 hours."
    ),
)


F = TypeVar("F", bound=Callable[..., Response])


def transition(summary: str, body: Any = None, url_path: str | None = None) -> Callable[[F], F]:
    """A POST action on one request, documented alike: its body, the Idempotency-Key header,
    and the request as it is afterwards."""

    def decorate(method: F) -> F:
        routed: Any = action(detail=True, methods=["post"], url_path=url_path)(method)
        documented: F = extend_schema(
            parameters=[IDEMPOTENCY_KEY],
            summary=summary,
            request=body,
            responses=serializers.RequestDetailSerializer,
        )(routed)
        return documented

    return decorate


@extend_schema_view(
    list=extend_schema(summary="Requests in your area, most urgent first (dispatch board)"),
    retrieve=extend_schema(summary="One request with its history"),
)
class RequestViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[ServiceRequest],
):
    """Service requests: the board's list and filters, filing, and every transition."""

    queryset = ServiceRequest.objects.none()  # for the schema; get_queryset scopes it

    lookup_field = "number"
    lookup_value_regex = r"[0-9A-Za-z-]+"
    filterset_class = RequestFilter

    def get_queryset(self) -> QuerySet[ServiceRequest]:
        queryset = board_requests(_user(self.request)).select_related("building")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("events")
        return queryset

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return serializers.RequestDetailSerializer
        return serializers.RequestSerializer

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        summary="File a request for a resident (hotline, community worker, integration)",
        request=serializers.RequestCreateSerializer,
        responses={201: serializers.RequestDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        user = _user(request)
        data = serializers.RequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        category = (
            ServiceCategory.objects.prefetch_related("attributes")
            .filter(code=values["category"])
            .first()
        )
        if category is None:
            raise exceptions.ValidationError({"category": [_("No such service.")]})
        household = None
        if account := values.get("account_number", "").strip():
            household = (
                Household.objects.for_user(user)
                .select_related("building")
                .filter(account_number=account)
                .first()
            )
            if household is None:
                raise exceptions.ValidationError(
                    {"account_number": [_("No such household in your area.")]}
                )
        try:
            submitted = submit_request(
                category=category,
                channel=Channel.COMMUNITY if user.role == Role.COMMUNITY_WORKER else Channel.API,
                household=household,
                description=values.get("description", ""),
                attributes=values.get("attributes") or {},
                reporter_name=values.get("reporter_name", ""),
                reporter_phone=values.get("reporter_phone", ""),
                latitude=values.get("latitude"),
                longitude=values.get("longitude"),
                location_text=values.get("location_text", ""),
                created_by=user,
            )
        except RequestInvalid as refusal:
            raise exceptions.ValidationError(refusal.errors) from refusal
        filed = self.get_queryset().prefetch_related("events").get(pk=submitted.request.pk)
        return Response(
            serializers.RequestDetailSerializer(filed).data, status=status.HTTP_201_CREATED
        )

    def _change(self, request: Request, body: Any, change: Change) -> Response:
        """Check the body, apply one service function, answer with the request as it is now."""
        found = self.get_object()
        values: dict[str, Any] = {}
        if body is not None:
            checked = body(data=request.data)
            checked.is_valid(raise_exception=True)
            values = dict(checked.validated_data)
        try:
            change(found, _user(request), values)
        except TransitionRefused as refusal:
            raise Conflict(str(refusal)) from refusal
        found = self.get_queryset().prefetch_related("events").get(pk=found.pk)
        return Response(serializers.RequestDetailSerializer(found).data)

    @transition("Accept (the assignee)")
    def accept(self, request: Request, number: str) -> Response:
        return self._change(request, None, lambda r, u, v: accept_request(request=r, actor=u))

    @transition(
        "Record remote guidance (the SLA clock waits for the resident)", serializers.NoteSerializer
    )
    def guidance(self, request: Request, number: str) -> Response:
        return self._change(
            request,
            serializers.NoteSerializer,
            lambda r, u, v: give_guidance(request=r, actor=u, note=v["note"]),
        )

    @transition("Schedule a home visit", serializers.ScheduleSerializer)
    def schedule(self, request: Request, number: str) -> Response:
        return self._change(
            request,
            serializers.ScheduleSerializer,
            lambda r, u, v: schedule_visit(request=r, actor=u, when=v["when"]),
        )

    @transition(
        "Check in to the home, confirming protective equipment",
        serializers.CheckInSerializer,
        url_path="check-in",
    )
    def check_in(self, request: Request, number: str) -> Response:
        return self._change(
            request,
            serializers.CheckInSerializer,
            lambda r, u, v: check_in(request=r, actor=u, equipment=v.get("equipment", [])),
        )

    @transition("Check out of the home", serializers.OptionalNoteSerializer, url_path="check-out")
    def check_out(self, request: Request, number: str) -> Response:
        return self._change(
            request,
            serializers.OptionalNoteSerializer,
            lambda r, u, v: check_out(request=r, actor=u, note=v.get("note", "")),
        )

    @transition("Resolve, with the indoor temperature measured", serializers.ResolveSerializer)
    def resolve(self, request: Request, number: str) -> Response:
        return self._change(
            request,
            serializers.ResolveSerializer,
            lambda r, u, v: resolve_request(
                request=r,
                actor=u,
                note=v["note"],
                measured_temperature=v.get("measured_temperature"),
            ),
        )

    @transition("Reassign with a reason (dispatchers and managers)", serializers.ReassignSerializer)
    def reassign(self, request: Request, number: str) -> Response:
        _require_dispatch(request)

        def change(found: ServiceRequest, user: User, values: dict[str, Any]) -> Any:
            assignee = User.objects.filter(username=values["assignee"], is_active=True).first()
            if assignee is None:
                raise exceptions.ValidationError({"assignee": [_("No such active staff member.")]})
            return reassign_request(
                request=found, assignee=assignee, actor=user, reason=values["reason"]
            )

        return self._change(request, serializers.ReassignSerializer, change)

    @transition(
        "Dispatch again by the zone's rules (dispatchers and managers)", url_path="dispatch"
    )
    def dispatch_again(self, request: Request, number: str) -> Response:
        _require_dispatch(request)
        return self._change(request, None, lambda r, u, v: dispatch_request(request=r, actor=u))

    @transition("Cancel with a reason", serializers.ReasonSerializer)
    def cancel(self, request: Request, number: str) -> Response:
        return self._change(
            request,
            serializers.ReasonSerializer,
            lambda r, u, v: cancel_request(request=r, actor=u, reason=v["reason"]),
        )

    @transition("Mark as a duplicate of another request", serializers.DuplicateSerializer)
    def duplicate(self, request: Request, number: str) -> Response:
        def change(found: ServiceRequest, user: User, values: dict[str, Any]) -> Any:
            original = (
                ServiceRequest.objects.for_user(user).filter(number=values["original"]).first()
            )
            if original is None:
                raise exceptions.ValidationError({"original": [_("No such request.")]})
            return mark_duplicate(request=found, original=original, actor=user)

        return self._change(request, serializers.DuplicateSerializer, change)


@extend_schema_view(
    list=extend_schema(
        summary="Households in your area; q= finds by account number, phone or address",
        parameters=[OpenApiParameter("q", str, description="Account number, phone or address.")],
    ),
    retrieve=extend_schema(summary="One household by account number"),
)
class HouseholdViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet[Household]):
    """Households in your area, found by account number, phone or address."""

    queryset = Household.objects.none()  # for the schema; get_queryset scopes it
    serializer_class = serializers.HouseholdSerializer
    lookup_field = "account_number"

    def get_queryset(self) -> QuerySet[Household]:
        user = _user(self.request)
        query = self.request.query_params.get("q", "").strip()
        if self.action == "list" and query:
            return search_households(user=user, query=query)
        return (
            Household.objects.for_user(user)
            .select_related("building__zone")
            .order_by("account_number")
        )


@extend_schema_view(
    list=extend_schema(summary="Buildings in your area"),
    retrieve=extend_schema(summary="One building by code"),
)
class BuildingViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet[Building]):
    """Buildings in your area, by building code."""

    queryset = Building.objects.none()  # for the schema; get_queryset scopes it
    serializer_class = serializers.BuildingSerializer
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Building]:
        return (
            Building.objects.for_user(_user(self.request))
            .select_related("station", "zone")
            .order_by("code")
        )


@extend_schema_view(
    list=extend_schema(summary="Heat-exchange stations in your area"),
    retrieve=extend_schema(summary="One station by code"),
)
class StationViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet[Station]):
    """Heat-exchange stations in your area, by station code."""

    queryset = Station.objects.none()  # for the schema; get_queryset scopes it
    serializer_class = serializers.StationSerializer
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Station]:
        return (
            Station.objects.for_user(_user(self.request))
            .select_related("heat_source")
            .order_by("code")
        )

    def _series(self, request: Request, select: Callable[..., QuerySet[Any]], out: Any) -> Response:
        # Telemetry is company-internal: a partner community's worker sees which station feeds
        # their community, not its readings (as /operations/ answers them 404).
        if not sees_network(_user(request)):
            raise exceptions.NotFound()
        query = serializers.SeriesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = select(self.get_object(), **query.validated_data)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(out(page, many=True).data)

    @extend_schema(
        summary="A station's raw telemetry readings, oldest first (cursor pages)",
        parameters=[serializers.SeriesQuerySerializer],
        responses=serializers.StationReadingSerializer(many=True),
    )
    @action(detail=True, pagination_class=pagination.ReadingCursor)
    def readings(self, request: Request, code: str) -> Response:
        return self._series(request, station_readings, serializers.StationReadingSerializer)

    @extend_schema(
        summary="A station's hourly telemetry roll-ups, oldest first (cursor pages)",
        parameters=[serializers.SeriesQuerySerializer],
        responses=serializers.StationHourSerializer(many=True),
    )
    @action(detail=True, pagination_class=pagination.HourCursor)
    def hours(self, request: Request, code: str) -> Response:
        return self._series(request, station_hours, serializers.StationHourSerializer)


@extend_schema_view(
    list=extend_schema(summary="Responsibility zones in your area with their owners and deputies"),
    retrieve=extend_schema(summary="One zone by code"),
)
class ZoneViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet[Zone]):
    """Responsibility zones in your area, with the owner and deputies of every duty."""

    queryset = Zone.objects.none()  # for the schema; get_queryset scopes it
    serializer_class = serializers.ZoneSerializer
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Zone]:
        owners = ZoneAssignment.objects.select_related("staff").order_by("duty", "rank")
        return (
            Zone.objects.for_user(_user(self.request))
            .prefetch_related(Prefetch("assignments", queryset=owners))
            .order_by("code")
        )


class AvailabilityView(IdempotentMixin, APIView):
    """Who of a zone's people for a duty could take work now, and why not."""

    @extend_schema(
        summary="Staff availability for a zone and duty, in dispatch order",
        parameters=[serializers.AvailabilityQuerySerializer],
        responses=serializers.AvailabilitySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = serializers.AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        zone = (
            Zone.objects.for_user(_user(request)).filter(code=query.validated_data["zone"]).first()
        )
        if zone is None:
            raise Http404(_("Not found, or not in your area."))
        candidates = dispatch.zone_candidates(
            zone_id=zone.pk, duty=query.validated_data["duty"], at=timezone.now()
        )
        rows = [
            {
                "rank": c.rank,
                "staff": c.staff,
                "available": c.reason is None,
                "reason": c.reason,
                "reason_text": dispatch.reason_text(c.reason, c.staff) if c.reason else None,
            }
            for c in candidates
        ]
        return Response(serializers.AvailabilitySerializer(rows, many=True).data)
