"""What the REST API reads and writes. Writes are checked here, then done by services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from wennuan.core.privacy import mask_phone
from wennuan.grid.choices import Duty
from wennuan.grid.models import Building, HeatSource, Household, Station, Zone, ZoneAssignment
from wennuan.grid.privacy import may_call_household, may_call_requester
from wennuan.operations.models import StationHour, StationReading
from wennuan.people.choices import Role
from wennuan.people.models import User
from wennuan.service.choices import Status
from wennuan.service.models import RequestEvent, ServiceCategory, ServiceRequest
from wennuan.service.services import MAX_DESCRIPTION, PPE_ITEMS


@extend_schema_field(OpenApiTypes.STR)
class ChoiceLabelField(serializers.Field):  # type: ignore[type-arg]
    """The label of a choice (``status`` → "Assigned" / "已派单"), in the request's language.

    Read from the choices, not through ``get_FOO_display``: DRF inspects the signature of a
    bound method each time it calls one, ~100 times for a page of 50 requests (~3 ms).
    """

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.labels = dict(choices)

    def to_representation(self, value: Any) -> str:
        return str(self.labels.get(value, value))


class StaffSerializer(serializers.ModelSerializer[User]):
    display_name = serializers.CharField(read_only=True)
    role_label = ChoiceLabelField(Role.choices, source="role")

    class Meta:
        model = User
        fields = ["username", "display_name", "role", "role_label"]


class EventSerializer(serializers.ModelSerializer[RequestEvent]):
    class Meta:
        model = RequestEvent
        fields = ["created_at", "kind", "actor_label", "from_status", "to_status", "note", "public"]


class RequestSerializer(serializers.ModelSerializer[ServiceRequest]):
    """A request as the board shows it."""

    category: serializers.SlugRelatedField[ServiceCategory] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    category_name = serializers.CharField(source="category.name", read_only=True)
    status_label = ChoiceLabelField(Status.choices, source="status")
    household: serializers.SlugRelatedField[Household] = serializers.SlugRelatedField(
        slug_field="account_number", read_only=True
    )
    building: serializers.SlugRelatedField[Building] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    zone: serializers.SlugRelatedField[Zone] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    assignee = StaffSerializer(read_only=True)
    address = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "number", "category", "category_name", "status", "status_label", "priority",
            "channel", "household", "building", "zone", "address", "assignee", "description",
            "attributes", "measured_temperature", "sla_state", "escalation_level",
            "first_contact_due", "on_site_due", "resolution_due", "created_at", "updated_at",
            "assigned_at", "resolved_at", "closed_at", "rating",
        ]  # fmt: skip
        read_only_fields = fields

    def get_address(self, request: ServiceRequest) -> str:
        if request.household is not None:
            return request.household.address
        return request.location_text


class RequestDetailSerializer(RequestSerializer):
    events = EventSerializer(many=True, read_only=True)

    class Meta(RequestSerializer.Meta):
        fields = [*RequestSerializer.Meta.fields, "reporter_name", "reporter_phone", "events"]
        read_only_fields = fields

    def to_representation(self, instance: ServiceRequest) -> Any:
        # The full number for those who call the resident (the assignee, dispatch, the
        # zone's named owners); masked for everyone else.
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not may_call_requester(user, instance):
            data["reporter_phone"] = mask_phone(data.get("reporter_phone"))
        return data


class RequestCreateSerializer(serializers.Serializer[Any]):
    """A request filed for a resident; checked in full by ``submit_request``."""

    category = serializers.SlugField(help_text="A service code, as in /open311/v2/services.json.")
    account_number = serializers.CharField(required=False, allow_blank=True, max_length=20)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_DESCRIPTION
    )
    attributes = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Answers by attribute code."
    )
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    latitude = serializers.FloatField(required=False, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)
    location_text = serializers.CharField(required=False, allow_blank=True, max_length=200)


class NoteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000)


class OptionalNoteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ScheduleSerializer(serializers.Serializer[Any]):
    when = serializers.DateTimeField()


class CheckInSerializer(serializers.Serializer[Any]):
    equipment = serializers.ListField(
        child=serializers.ChoiceField(choices=list(PPE_ITEMS)), required=False
    )


class ResolveSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000)
    measured_temperature = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True
    )


class ReassignSerializer(serializers.Serializer[Any]):
    assignee = serializers.CharField(help_text="The login name of the new assignee.")
    reason = serializers.CharField(max_length=1000)


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=1000)


class DuplicateSerializer(serializers.Serializer[Any]):
    original = serializers.CharField(help_text="The number of the original request.")


class DispatchResultSerializer(serializers.Serializer[Any]):
    assignee = StaffSerializer(allow_null=True)
    via = serializers.CharField()
    note = serializers.CharField()


class HouseholdSerializer(serializers.ModelSerializer[Household]):
    building: serializers.SlugRelatedField[Building] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    zone: serializers.SlugRelatedField[Zone] = serializers.SlugRelatedField(
        source="building.zone", slug_field="code", read_only=True
    )

    class Meta:
        model = Household
        fields = [
            "account_number", "address", "building", "zone", "entrance", "unit",
            "heated_area_m2", "heating_status", "occupant_name", "phone",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance: Household) -> Any:
        # Lists always mask the phone; one household shows it whole to dispatch and the
        # zone's named owners (the same rule as the household page).
        data = super().to_representation(instance)
        view = self.context.get("view")
        request = self.context.get("request")
        whole = getattr(view, "action", None) == "retrieve" and may_call_household(
            getattr(request, "user", None), instance
        )
        if not whole:
            data["phone"] = mask_phone(data.get("phone"))
        return data


class BuildingSerializer(serializers.ModelSerializer[Building]):
    station: serializers.SlugRelatedField[Station] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    zone: serializers.SlugRelatedField[Zone] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Building
        fields = [
            "code", "number", "address", "latitude", "longitude", "floors", "entrances",
            "station", "zone",
        ]  # fmt: skip
        read_only_fields = fields


class StationSerializer(serializers.ModelSerializer[Station]):
    heat_source: serializers.SlugRelatedField[HeatSource] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Station
        fields = ["code", "name", "heat_source", "capacity_mw", "latitude", "longitude"]
        read_only_fields = fields


class SeriesQuerySerializer(serializers.Serializer[Any]):
    """The time window of a telemetry series: [since, until)."""

    since = serializers.DateTimeField(
        required=False, help_text="From this moment (ISO 8601); default 24 hours before until."
    )
    until = serializers.DateTimeField(
        required=False, help_text="Before this moment (ISO 8601); default now."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        until = attrs.get("until") or timezone.now()
        since = attrs.get("since") or until - timedelta(hours=24)
        if since >= until:
            raise serializers.ValidationError({"since": _("since must be before until.")})
        return {"since": since, "until": until}


class StationReadingSerializer(serializers.ModelSerializer[StationReading]):
    deviation_c = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Secondary supply minus its curve target."
    )

    class Meta:
        model = StationReading
        fields = [
            "time", "primary_supply_c", "primary_return_c", "secondary_supply_c",
            "secondary_return_c", "primary_pressure_mpa", "secondary_pressure_mpa", "flow_t_h",
            "heat_mw", "heat_total_gj", "pump_on", "valve_pct", "outdoor_c", "target_supply_c",
            "deviation_c",
        ]  # fmt: skip
        read_only_fields = fields


class StationHourSerializer(serializers.ModelSerializer[StationHour]):
    class Meta:
        model = StationHour
        fields = [
            "hour", "readings", "secondary_supply_c", "secondary_return_c", "primary_supply_c",
            "primary_return_c", "target_supply_c", "outdoor_c", "flow_t_h", "heat_mw",
            "min_secondary_supply_c",
        ]  # fmt: skip
        read_only_fields = fields


class ZoneOwnerSerializer(serializers.ModelSerializer[ZoneAssignment]):
    staff = StaffSerializer(read_only=True)
    duty_label = ChoiceLabelField(Duty.choices, source="duty")

    class Meta:
        model = ZoneAssignment
        fields = ["duty", "duty_label", "rank", "staff"]
        read_only_fields = fields


class ZoneSerializer(serializers.ModelSerializer[Zone]):
    owners = ZoneOwnerSerializer(source="assignments", many=True, read_only=True)

    class Meta:
        model = Zone
        fields = ["code", "name", "owners"]
        read_only_fields = fields


class AvailabilitySerializer(serializers.Serializer[Any]):
    """One of a zone's people for a duty and whether dispatch would give them work now."""

    rank = serializers.IntegerField()
    staff = StaffSerializer()
    available = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True, help_text="Why not, as a code.")
    reason_text = serializers.CharField(allow_null=True)


class AvailabilityQuerySerializer(serializers.Serializer[Any]):
    zone = serializers.CharField(help_text="Zone code.")
    duty = serializers.ChoiceField(choices=Duty.choices)
