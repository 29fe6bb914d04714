"""REST API of the coal reserve (/api/v1/fuel/): each yard's cover, its ledger (read, record,
reverse) and its forecast under a scenario. Same services and rules as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from wennuan.api.pagination import Pages
from wennuan.api.views import IDEMPOTENCY_KEY, IdempotentMixin
from wennuan.fuel import services
from wennuan.fuel.choices import EntryKind
from wennuan.fuel.forecast import Cover, Scenario, forecast_cover
from wennuan.fuel.models import CoalEntry
from wennuan.fuel.selectors import ledger, may_record, may_view
from wennuan.fuel.services import coal_sources
from wennuan.grid.models import HeatSource


class CoverSerializer(serializers.Serializer[Any]):
    # The metaclass takes declared fields out of the class: this does not shadow Field.source.
    source = serializers.CharField(source="heat_source.code")  # type: ignore[assignment]
    name = serializers.CharField(source="heat_source.name")
    scenario = serializers.CharField(source="scenario.describe")
    stock_t = serializers.FloatField()
    burn_per_day_t = serializers.FloatField()
    days_of_cover = serializers.FloatField(allow_null=True, help_text="null: beyond 366 days")
    run_out = serializers.DateField(allow_null=True)
    rule_days = serializers.IntegerField()
    below_rule_on = serializers.DateField(allow_null=True)
    order_t = serializers.FloatField(help_text="Tonnes to order to keep the rule over the horizon")
    order_by = serializers.DateField(allow_null=True)
    model_kind = serializers.CharField()
    estimated = serializers.BooleanField(help_text="false: no consumption on record to go by")
    note = serializers.CharField()


class ForecastDaySerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    mean_c = serializers.FloatField()
    from_forecast = serializers.BooleanField(help_text="false: the day's normal temperature")
    burn_t = serializers.FloatField()
    low_t = serializers.FloatField()
    high_t = serializers.FloatField()
    delivered_t = serializers.FloatField()
    stock_t = serializers.FloatField(help_text="At the end of the day")


class ForecastSerializer(CoverSerializer):
    days = ForecastDaySerializer(many=True)


class ForecastQuerySerializer(serializers.Serializer[Any]):
    days = serializers.IntegerField(min_value=1, max_value=366, default=30)
    suspend_days = serializers.IntegerField(min_value=0, max_value=366, default=0)
    cold_delta_c = serializers.FloatField(min_value=0, max_value=30, default=0)
    cold_days = serializers.IntegerField(min_value=0, max_value=366, default=0)
    efficiency_drop_pct = serializers.FloatField(min_value=0, max_value=50, default=0)


class EntrySerializer(serializers.ModelSerializer[CoalEntry]):
    source = serializers.CharField(source="heat_source.code", read_only=True)  # type: ignore[assignment]
    recorded_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, default=None
    )
    reversed = serializers.BooleanField(source="is_reversed", read_only=True)

    class Meta:
        model = CoalEntry
        fields = [
            "id", "source", "kind", "day", "tonnes", "supplier", "note_number", "lhv_mj_kg",
            "moisture_pct", "counted_tonnes", "reason", "reverses", "reversed", "origin",
            "recorded_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class NewEntrySerializer(serializers.Serializer[Any]):
    """A delivery, a day's consumption (positive tonnes burned) or a stocktake."""

    kind = serializers.ChoiceField(
        choices=[EntryKind.DELIVERY, EntryKind.CONSUMPTION, EntryKind.ADJUSTMENT]
    )
    day = serializers.DateField()
    tonnes = serializers.DecimalField(
        max_digits=12, decimal_places=3, required=False, help_text="Delivery or consumption"
    )
    counted_tonnes = serializers.DecimalField(
        max_digits=12, decimal_places=3, required=False, help_text="Stocktake: the count"
    )
    supplier = serializers.CharField(max_length=100, required=False, default="")
    note_number = serializers.CharField(max_length=40, required=False, default="")
    lhv_mj_kg = serializers.DecimalField(max_digits=6, decimal_places=3, required=False)
    moisture_pct = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    reason = serializers.CharField(max_length=300, required=False, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        needed = ["counted_tonnes"] if attrs["kind"] == EntryKind.ADJUSTMENT else ["tonnes"]
        if attrs["kind"] == EntryKind.DELIVERY:
            needed.append("note_number")  # the weighbridge note: a delivery is booked once
        missing = {name: _("This field is required.") for name in needed if not attrs.get(name)}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class ReverseSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)


def _cover(source: HeatSource, query: dict[str, Any]) -> Cover:
    scenario = Scenario(
        key="custom",
        suspend_days=query["suspend_days"],
        cold_delta_c=query["cold_delta_c"],
        cold_days=query["cold_days"],
        efficiency_drop_pct=query["efficiency_drop_pct"],
    )
    return forecast_cover(source, scenario=scenario, horizon=query["days"])


@extend_schema_view(
    list=extend_schema(summary="Every coal yard's baseline days of cover"),
    retrieve=extend_schema(summary="One coal yard's baseline days of cover"),
)
class FuelSourceViewSet(
    IdempotentMixin, mixins.ListModelMixin, viewsets.GenericViewSet[HeatSource]
):
    """Coal yards by heat-source code: cover, ledger and forecast (managers and dispatchers)."""

    queryset = HeatSource.objects.none()  # for the schema; get_queryset scopes it
    serializer_class = CoverSerializer
    lookup_field = "code"
    pagination_class = None  # a company has a handful of heat sources

    def get_queryset(self) -> QuerySet[HeatSource]:
        if not may_view(self.request.user):
            raise exceptions.PermissionDenied(_("Only the company's whole-city staff see fuel."))
        return coal_sources()  # type: ignore[no-any-return]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        covers = [forecast_cover(source) for source in self.get_queryset()]
        return Response(CoverSerializer(covers, many=True).data)

    def retrieve(self, request: Request, code: str) -> Response:
        return Response(CoverSerializer(forecast_cover(self.get_object())).data)

    def _writer(self, request: Request) -> Any:
        if not may_record(request.user):
            raise exceptions.PermissionDenied(_("Only managers and dispatchers keep the books."))
        return request.user

    @extend_schema(
        methods=["GET"],
        summary="The yard's ledger, newest first",
        responses=EntrySerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a delivery, a day's consumption or a stocktake",
        parameters=[IDEMPOTENCY_KEY],
        request=NewEntrySerializer,
        responses={201: EntrySerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=Pages)
    def ledger(self, request: Request, code: str) -> Response:
        source = self.get_object()
        if request.method == "GET":
            page: Any = self.paginate_queryset(ledger(source))  # type: ignore[arg-type]
            return self.get_paginated_response(EntrySerializer(page, many=True).data)
        actor = self._writer(request)
        body = NewEntrySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            if data["kind"] == EntryKind.DELIVERY:
                entry = services.record_delivery(
                    heat_source=source,
                    day=data["day"],
                    tonnes=data["tonnes"],
                    supplier=data["supplier"],
                    note_number=data["note_number"],
                    lhv_mj_kg=data.get("lhv_mj_kg"),
                    moisture_pct=data.get("moisture_pct"),
                    actor=actor,
                )
            elif data["kind"] == EntryKind.CONSUMPTION:
                entry = services.record_consumption(
                    heat_source=source, day=data["day"], tonnes=data["tonnes"], actor=actor
                )
            else:
                entry = services.record_stocktake(
                    heat_source=source,
                    day=data["day"],
                    counted_tonnes=data["counted_tonnes"],
                    reason=data["reason"],
                    actor=actor,
                )
        except services.FuelRefused as refusal:
            raise exceptions.ValidationError({"detail": str(refusal)}) from refusal
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reverse a ledger entry (the original stays in the books)",
        parameters=[IDEMPOTENCY_KEY],
        request=ReverseSerializer,
        responses={201: EntrySerializer},
    )
    @action(detail=True, methods=["post"], url_path=r"ledger/(?P<entry>\d+)/reverse")
    def reverse(self, request: Request, code: str, entry: str) -> Response:
        source = self.get_object()
        actor = self._writer(request)
        found = CoalEntry.objects.filter(heat_source=source, pk=int(entry)).first()
        if found is None:
            raise Http404(_("Not found, or not in your area."))
        body = ReverseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            reversal = services.reverse_entry(
                entry=found, reason=body.validated_data["reason"], actor=actor
            )
        except services.FuelRefused as refusal:
            raise exceptions.ValidationError({"detail": str(refusal)}) from refusal
        return Response(EntrySerializer(reversal).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Days of cover under a scenario, day by day",
        parameters=[ForecastQuerySerializer],
        responses=ForecastSerializer,
    )
    @action(detail=True, methods=["get"])
    def forecast(self, request: Request, code: str) -> Response:
        source = self.get_object()
        query = ForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(ForecastSerializer(_cover(source, query.validated_data)).data)
