"""REST API of inspection rounds (/api/v1/inspections/): facilities, plans with their routes,
rounds (with each facility's checklist, and submitting one), and the findings that became
work orders. Same querysets (``for_user``) and services as the pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from wennuan.api.serializers import ChoiceLabelField, StaffSerializer
from wennuan.api.views import IDEMPOTENCY_KEY, IdempotentMixin, _user
from wennuan.grid.models import Building, Station, Zone
from wennuan.inspections import services
from wennuan.inspections.choices import Condition, FacilityKind, RoundStatus
from wennuan.inspections.models import (
    ChecklistItem,
    Facility,
    Finding,
    InspectionPlan,
    InspectionRound,
    PlanStop,
)
from wennuan.service.choices import OPEN_STATUSES, Status

# --- what the API shows ---------------------------------------------------------------------


class FacilitySerializer(serializers.ModelSerializer[Facility]):
    kind_label = ChoiceLabelField(FacilityKind.choices, source="kind")
    condition_label = ChoiceLabelField(Condition.choices, source="condition")
    building: serializers.SlugRelatedField[Building] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    station: serializers.SlugRelatedField[Station] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    zone: serializers.SlugRelatedField[Zone] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Facility
        fields = [
            "code", "name", "kind", "kind_label", "latitude", "longitude", "building",
            "station", "zone", "condition", "condition_label", "notes", "active",
        ]  # fmt: skip
        read_only_fields = fields


class InspectionPlanSerializer(serializers.ModelSerializer[InspectionPlan]):
    zone: serializers.SlugRelatedField[Zone] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        read_only=True,
        help_text="Weekly on these days (0 = Monday), when every_days is null.",
    )
    route = serializers.SerializerMethodField(help_text="Facility codes in route order.")

    class Meta:
        model = InspectionPlan
        fields = [
            "id", "name", "zone", "every_days", "weekdays", "active_from", "active_until",
            "active", "route",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {"every_days": {"help_text": "Every N days; null: weekly on weekdays."}}

    def get_route(self, plan: InspectionPlan) -> list[str]:
        return [stop.facility.code for stop in plan.stops.all()]  # prefetched in order


class ChecklistItemSerializer(serializers.ModelSerializer[ChecklistItem]):
    text = serializers.CharField(read_only=True, help_text="In the request's language.")

    class Meta:
        model = ChecklistItem
        fields = ["id", "text", "kind", "unit", "low", "high"]
        read_only_fields = fields


class RouteStopSerializer(serializers.Serializer[Any]):
    """One facility of a round's route and what to check there."""

    position = serializers.IntegerField()
    facility = FacilitySerializer()
    items = ChecklistItemSerializer(many=True)


class InspectionRoundSerializer(serializers.ModelSerializer[InspectionRound]):
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    zone = serializers.CharField(source="plan.zone.code", read_only=True)
    # A string, not an enum: two components with a "status" enum of another choice set than
    # the requests' would need an ENUM_NAME_OVERRIDES entry (the schema allows no warning).
    status = serializers.CharField(
        read_only=True,
        help_text=f"One of {', '.join(RoundStatus.values)}; status_label says it in words.",
    )
    status_label = ChoiceLabelField(RoundStatus.choices, source="status")
    assignee = StaffSerializer(read_only=True, allow_null=True)

    class Meta:
        model = InspectionRound
        fields = [
            "id", "plan", "plan_name", "zone", "due_on", "status", "status_label", "assignee",
            "assign_reason", "emergency", "started_at", "submitted_at",
        ]  # fmt: skip
        read_only_fields = fields


class InspectionRoundDetailSerializer(InspectionRoundSerializer):
    route = serializers.SerializerMethodField()

    class Meta(InspectionRoundSerializer.Meta):
        fields = [*InspectionRoundSerializer.Meta.fields, "route"]
        read_only_fields = fields

    @extend_schema_field(RouteStopSerializer(many=True))
    def get_route(self, round_: InspectionRound) -> Any:
        facilities = services.route(round_)
        items = services.checklists({f.kind for f in facilities})
        shown = Facility.objects.select_related("building", "station", "zone").in_bulk(
            [f.pk for f in facilities]
        )  # one query for the codes the facilities point at, not three per stop
        stops = [
            {"position": n, "facility": shown[f.pk], "items": items[f.kind]}
            for n, f in enumerate(facilities, start=1)
        ]
        return RouteStopSerializer(stops, many=True).data


class FindingSerializer(serializers.ModelSerializer[Finding]):
    facility: serializers.SlugRelatedField[Facility] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    item_text = serializers.CharField(source="item.text", read_only=True)
    work_order: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )
    work_order_status = serializers.ChoiceField(
        source="work_order.status",
        choices=Status.choices,
        read_only=True,
        allow_null=True,
        default=None,
    )
    open = serializers.SerializerMethodField(help_text="While its work order is open.")

    class Meta:
        model = Finding
        fields = [
            "id", "round", "facility", "facility_name", "item", "item_text", "description",
            "work_order", "work_order_status", "open", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_open(self, finding: Finding) -> bool:
        order = finding.work_order
        return order is not None and order.status in OPEN_STATUSES


# --- what the API takes -----------------------------------------------------------------------


class ChecklistAnswerSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField(help_text="A checklist item id, from the round's route.")
    passed = serializers.BooleanField(
        allow_null=True, required=False, default=None, help_text="Pass/fail items."
    )
    reading = serializers.FloatField(
        allow_null=True, required=False, default=None, help_text="Reading items, in its unit."
    )
    text = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=500, help_text="Any item."
    )


class FacilityAnswersSerializer(serializers.Serializer[Any]):
    facility = serializers.CharField(max_length=30, help_text="A facility code of the route.")
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=500)
    items = ChecklistAnswerSerializer(many=True)


class SubmitRoundSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(
        max_length=64,
        help_text="The round's submission key, made once per round by the client: a second "
        "submit with the same key is a no-op that returns the round.",
    )
    facilities = FacilityAnswersSerializer(many=True)


def _answers(
    round_: InspectionRound, given: list[dict[str, Any]]
) -> dict[int, services.FacilityAnswers]:
    """The body's answers by facility id, for ``submit_round``; a code or item that is not
    on the round's route is refused (the service checks that nothing is missing)."""
    on_route = {facility.code: facility for facility in services.route(round_)}
    items = services.checklists({facility.kind for facility in on_route.values()})
    problems: list[str] = []
    answers: dict[int, services.FacilityAnswers] = {}
    for entry in given:
        facility = on_route.get(entry["facility"])
        if facility is None:
            problems.append(_("%(code)s: not on this round's route") % {"code": entry["facility"]})
            continue
        if facility.pk in answers:
            problems.append(_("%(code)s: given twice") % {"code": facility.code})
            continue
        known = {item.pk for item in items[facility.kind]}
        by_item: dict[int, services.Answer] = {}
        for answer in entry["items"]:
            if answer["item"] not in known:
                problems.append(
                    _("%(code)s: item %(item)s is not on its checklist")
                    % {"code": facility.code, "item": answer["item"]}
                )
                continue
            by_item[answer["item"]] = services.Answer(
                passed=answer["passed"], reading=answer["reading"], text=answer["text"]
            )
        answers[facility.pk] = services.FacilityAnswers(answers=by_item, note=entry["note"])
    if problems:
        raise services.RoundRefused(problems)
    return answers


# --- filters ----------------------------------------------------------------------------------


class FacilityFilter(django_filters.FilterSet):  # type: ignore[misc]
    zone = django_filters.CharFilter(field_name="zone__code", label=gettext_lazy("Zone code"))
    kind = django_filters.ChoiceFilter(choices=FacilityKind.choices, label=gettext_lazy("Kind"))
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Code or name contains"))

    class Meta:
        model = Facility
        fields: list[str] = []

    @extend_schema_field({"type": "string", "description": "Code or name contains."})
    def search(self, queryset: QuerySet[Facility], name: str, value: Any) -> QuerySet[Facility]:
        text = str(value).strip()
        if not text:
            return queryset
        return queryset.filter(Q(code__icontains=text) | Q(name__icontains=text))


class RoundFilter(django_filters.FilterSet):  # type: ignore[misc]
    status = django_filters.ChoiceFilter(choices=RoundStatus.choices, label=gettext_lazy("Status"))
    due_on = django_filters.DateFilter(label=gettext_lazy("Due on"))
    plan = django_filters.ModelChoiceFilter(
        queryset=InspectionPlan.objects.all(), label=gettext_lazy("Plan")
    )

    class Meta:
        model = InspectionRound
        fields: list[str] = []


class FindingFilter(django_filters.FilterSet):  # type: ignore[misc]
    open = django_filters.BooleanFilter(
        method="filter_open", label=gettext_lazy("Its work order is open")
    )
    round = django_filters.ModelChoiceFilter(
        queryset=InspectionRound.objects.all(), label=gettext_lazy("Round")
    )

    class Meta:
        model = Finding
        fields: list[str] = []

    @extend_schema_field(
        {
            "type": "boolean",
            "description": "true: the findings whose work order is open; false: the others.",
        }
    )
    def filter_open(self, queryset: QuerySet[Finding], name: str, value: Any) -> QuerySet[Finding]:
        if value is None:
            return queryset
        is_open = Q(work_order__status__in=OPEN_STATUSES)
        return queryset.filter(is_open) if value else queryset.exclude(is_open)


# --- views ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Inspected facilities in your area"),
    retrieve=extend_schema(summary="One facility by code"),
)
class FacilityViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet[Facility]):
    """Outdoor heating facilities in your area, by code."""

    queryset = Facility.objects.none()  # for the schema; get_queryset scopes it
    serializer_class = FacilitySerializer
    lookup_field = "code"
    filterset_class = FacilityFilter

    def get_queryset(self) -> QuerySet[Facility]:
        return (
            Facility.objects.for_user(_user(self.request))
            .select_related("building", "station", "zone")
            .order_by("code")
        )


@extend_schema_view(
    list=extend_schema(summary="Inspection plans in your area, with their routes"),
    retrieve=extend_schema(summary="One inspection plan with its schedule and route"),
)
class PlanViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet[InspectionPlan]):
    """Inspection plans (routes walked on a schedule) of the zones in your area."""

    queryset = InspectionPlan.objects.none()  # for the schema; get_queryset scopes it
    serializer_class = InspectionPlanSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[InspectionPlan]:
        stops = PlanStop.objects.select_related("facility").order_by("position")
        return (
            InspectionPlan.objects.for_user(_user(self.request))
            .select_related("zone")
            .prefetch_related(Prefetch("stops", queryset=stops))
            .order_by("zone__code", "name", "pk")
        )


@extend_schema_view(
    list=extend_schema(
        summary="Inspection rounds: an inspector's own, every round for whole-city staff"
    ),
    retrieve=extend_schema(
        summary="One round with its route and every facility's checklist, to do the round"
    ),
)
class RoundViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet[InspectionRound]):
    """Inspection rounds, and submitting one."""

    queryset = InspectionRound.objects.none()  # for the schema; get_queryset scopes it
    lookup_value_regex = r"\d+"
    filterset_class = RoundFilter

    def get_queryset(self) -> QuerySet[InspectionRound]:
        return (  # type: ignore[no-any-return]
            InspectionRound.objects.for_user(_user(self.request))
            .select_related("plan__zone", "assignee")
            .order_by("-due_on", "plan__name", "pk")
        )

    def get_serializer_class(self) -> Any:
        if self.action in ("retrieve", "submit"):
            return InspectionRoundDetailSerializer
        return InspectionRoundSerializer

    @extend_schema(
        summary="Submit a round (its assignee): every facility of the route, every item",
        description=(
            "Records the round once: the same `key` again returns the round as the first "
            "submit left it; another key after that is refused. A refusal is a 400 with "
            "`problems` (one line each: a facility not inspected, an item unanswered, the "
            "round already submitted) and writes nothing. Each failed item or out-of-range "
            "reading opens a finding with a repair work order for the zone."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=SubmitRoundSerializer,
        responses={
            200: InspectionRoundDetailSerializer,
            400: OpenApiResponse(
                description="A bad body (by field) or a refusal (`problems`); nothing written."
            ),
            403: OpenApiResponse(description="The round is given to someone else."),
        },
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        round_ = self.get_object()
        user = _user(request)
        if round_.assignee_id != user.pk:
            raise exceptions.PermissionDenied(_("This round is given to someone else."))
        body = SubmitRoundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.submit_round(
                round_=round_,
                actor=user,
                answers=_answers(round_, body.validated_data["facilities"]),
                key=body.validated_data["key"],
            )
        except services.RoundRefused as refusal:
            return Response({"problems": refusal.problems}, status=status.HTTP_400_BAD_REQUEST)
        return Response(InspectionRoundDetailSerializer(self.get_queryset().get(pk=round_.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="Findings of inspections in your area, newest first"),
    retrieve=extend_schema(summary="One finding with its work order"),
)
class FindingViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet[Finding]):
    """Failed items and out-of-range readings, and the repair work orders they opened."""

    queryset = Finding.objects.none()  # for the schema; get_queryset scopes it
    serializer_class = FindingSerializer
    lookup_value_regex = r"\d+"
    filterset_class = FindingFilter

    def get_queryset(self) -> QuerySet[Finding]:
        findings = Finding.objects.for_user(_user(self.request))  # the facility's zone
        return findings.select_related("facility", "item", "work_order").order_by(
            "-created_at", "-pk"
        )
