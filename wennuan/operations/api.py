"""REST API of heating operation: the telemetry ingest that station gateways call."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import authentication, exceptions, parsers, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from wennuan.operations.models import Gateway
from wennuan.operations.services import MAX_BATCH, BatchRefused, gateway_for_token, ingest


class GatewayAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <gateway token>`` (tokens from ``manage.py telemetry_gateway``)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Gateway] | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith(f"{self.keyword} "):
            return None
        gateway = gateway_for_token(header[len(self.keyword) + 1 :])
        if gateway is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked gateway token."))
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser(), gateway

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IsGateway(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, Gateway)


class FastJSONParser(parsers.BaseParser):
    """application/json through orjson: a 10,000-reading batch parses several times faster
    than with the standard library, and parsing is a tenth of an ingest's time."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return orjson.loads(stream.read())
        except orjson.JSONDecodeError as exc:
            raise exceptions.ParseError(
                _("The body is not valid JSON: %(error)s") % {"error": exc}
            ) from exc


class CSVParser(parsers.BaseParser):
    """text/csv: a header row of field names, then one reading a row."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            text = stream.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(_("CSV must be UTF-8.")) from exc
        try:
            return [
                {k: v for k, v in row.items() if k and v not in (None, "")}
                for row in csv.DictReader(io.StringIO(text))
            ]
        except csv.Error as exc:  # a stray carriage return, a field past csv's size limit…
            raise exceptions.ParseError(
                _("The body is not valid CSV: %(error)s") % {"error": exc}
            ) from exc


class ReadingSerializer(serializers.Serializer[Any]):
    """One reading; every value field is optional. See docs/operations.md for all fields."""

    time = serializers.CharField(help_text="ISO 8601 with a time zone, or Unix seconds.")
    station = serializers.CharField(required=False, help_text="Station code.")
    # The metaclass takes declared fields out of the class, so this does not shadow Field.source.
    source = serializers.CharField(required=False, help_text="Heat-source code.")  # type: ignore[assignment]
    place = serializers.CharField(required=False, help_text="Outdoor-temperature place.")
    secondary_supply_c = serializers.FloatField(required=False)
    secondary_return_c = serializers.FloatField(required=False)
    primary_supply_c = serializers.FloatField(required=False)
    primary_return_c = serializers.FloatField(required=False)
    primary_pressure_mpa = serializers.FloatField(required=False)
    secondary_pressure_mpa = serializers.FloatField(required=False)
    flow_t_h = serializers.FloatField(required=False)
    heat_mw = serializers.FloatField(required=False)
    heat_total_gj = serializers.FloatField(required=False)
    pump_on = serializers.BooleanField(required=False)
    valve_pct = serializers.FloatField(required=False)
    outdoor_c = serializers.FloatField(required=False)
    output_mw = serializers.FloatField(required=False)
    supply_c = serializers.FloatField(required=False)
    return_c = serializers.FloatField(required=False)
    coal_t = serializers.FloatField(required=False)
    temperature_c = serializers.FloatField(required=False)


class RejectedSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField(help_text="Position in the batch, from 0.")
    reason = serializers.CharField()


class IngestResultSerializer(serializers.Serializer[Any]):
    received = serializers.IntegerField()
    stored = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = RejectedSerializer(many=True)


class IngestView(APIView):
    """Station gateways push readings: JSON (a list, or {"readings": [...]}) or CSV."""

    authentication_classes = [GatewayAuthentication]
    permission_classes = [IsGateway]
    parser_classes = [FastJSONParser, CSVParser]
    throttle_classes: list[Any] = []  # gateways are few, and a batch holds up to 10,000

    @extend_schema(
        summary=f"Push up to {MAX_BATCH:,} telemetry readings (gateway token)",
        request={
            "application/json": ReadingSerializer(many=True),
            "text/csv": {"type": "string"},
        },
        responses={
            200: IngestResultSerializer,
            400: OpenApiResponse(description="Not a list of readings"),
            413: OpenApiResponse(description=f"More than {MAX_BATCH:,} readings"),
        },
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, dict) and isinstance(data.get("readings"), list):
            data = data["readings"]
        if not isinstance(data, list):
            raise exceptions.ParseError(_('Send a list of readings, or {"readings": [...]}.'))
        gateway: Any = request.auth  # a Gateway: IsGateway let the call through
        try:
            result = ingest(data, gateway=gateway)
        except BatchRefused as refusal:
            return Response(
                {"detail": str(refusal)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            )
        return Response(result.as_dict())


class GatewayAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Tells the OpenAPI schema how gateways authenticate."""

    target_class = GatewayAuthentication
    name = "gatewayToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A telemetry gateway token."}
