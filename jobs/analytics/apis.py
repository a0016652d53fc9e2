from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from backend.core.pagination import Pagination
from backend.core.permissions import IsStaff
from jobs.analytics import selectors
from jobs.analytics.csv import CSVRenderer
from jobs.analytics.metrics import DIMENSIONS, PERIODS, period_start

MAX_DAYS = 731
DEFAULT_DAYS = 12 * 7
RENDERERS = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]
SERIES_METRICS = (
    "fill_rate",
    "fill_rate_hours",
    "continuity_rate_90",
    "continuity_rate_365",
    "time_to_fill_median_hours",
    "time_to_fill_p90_hours",
    "lead_time_median_hours",
    "lead_time_p90_hours",
    "distinct_staff",
    "unfilled_at_start",
    "late_cancellation_rate_12h",
    "late_cancellation_rate_4h",
    "trust_late_cancellation_rate_12h",
    "trust_late_cancellation_rate_4h",
    "no_show_rate",
    "offers_per_fill",
    "acceptance_rate",
    "slots_requested",
    "slots_filled",
    "hours_requested",
    "hours_filled",
)


def _names(value: str, allowed: tuple[str, ...], field: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise serializers.ValidationError(
            f"Unknown {field}: {', '.join(unknown)}. Choose from {', '.join(allowed)}."
        )
    if len(set(names)) != len(names):
        raise serializers.ValidationError(f"A {field} is repeated.")
    return names


class FillRateQuerySerializer(serializers.Serializer):
    group_by = serializers.CharField(required=False, allow_blank=True, default="")
    period = serializers.ChoiceField(choices=PERIODS, default="week")
    vars()["from"] = serializers.DateField(required=False)
    to = serializers.DateField(required=False)
    trust = serializers.IntegerField(required=False, min_value=1)
    ward = serializers.IntegerField(required=False, min_value=1)

    def validate_group_by(self, value: str) -> list[str]:
        return _names(value, DIMENSIONS, "group_by")

    def validate(self, attrs: dict) -> dict:
        end = attrs.get("to") or timezone.localdate()
        start = attrs.get("from") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if end < start:
            raise serializers.ValidationError({"to": ["'to' is before 'from'."]})
        if (end - start).days + 1 > MAX_DAYS:
            raise serializers.ValidationError({"from": [f"At most {MAX_DAYS} days at once."]})
        attrs["from"], attrs["to"] = start, end
        return attrs


class FillRateSeriesQuerySerializer(FillRateQuerySerializer):
    metrics = serializers.CharField(required=False, default="fill_rate,continuity_rate_90")

    def validate_metrics(self, value: str) -> list[str]:
        names = _names(value, SERIES_METRICS, "metric")
        if not names:
            raise serializers.ValidationError("Name at least one metric.")
        return names


class FillRateRowSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    trust_id = serializers.IntegerField(required=False)
    trust_name = serializers.CharField(required=False)
    ward_id = serializers.IntegerField(required=False)
    ward_name = serializers.CharField(required=False)
    role = serializers.CharField(required=False, help_text="Role code")
    band = serializers.IntegerField(required=False, help_text="Minimum band of the shortfall")
    setting = serializers.CharField(required=False, help_text="Setting code")
    day_night = serializers.ChoiceField(choices=["day", "night"], required=False)
    slots_requested = serializers.IntegerField()
    slots_filled = serializers.IntegerField()
    slots_cancelled_before_cutoff = serializers.IntegerField()
    fill_rate = serializers.FloatField(allow_null=True)
    hours_requested = serializers.FloatField()
    hours_filled = serializers.FloatField()
    fill_rate_hours = serializers.FloatField(allow_null=True)
    time_to_fill_median_hours = serializers.FloatField(allow_null=True)
    time_to_fill_p90_hours = serializers.FloatField(allow_null=True)
    lead_time_median_hours = serializers.FloatField(allow_null=True)
    lead_time_p90_hours = serializers.FloatField(allow_null=True)
    continuity_rate_90 = serializers.FloatField(allow_null=True)
    continuity_rate_365 = serializers.FloatField(allow_null=True)
    distinct_staff = serializers.IntegerField()
    unfilled_at_start = serializers.IntegerField()
    bookings_made = serializers.IntegerField()
    late_cancellation_rate_12h = serializers.FloatField(allow_null=True)
    late_cancellation_rate_4h = serializers.FloatField(allow_null=True)
    trust_late_cancellation_rate_12h = serializers.FloatField(allow_null=True)
    trust_late_cancellation_rate_4h = serializers.FloatField(allow_null=True)
    no_show_rate = serializers.FloatField(allow_null=True)
    offers_sent = serializers.IntegerField()
    offers_per_fill = serializers.FloatField(allow_null=True)
    acceptance_rate = serializers.FloatField(allow_null=True)


class FillRateReportSerializer(serializers.Serializer):
    group_by = serializers.ListField(child=serializers.CharField())
    period = serializers.CharField()
    vars()["from"] = serializers.DateField()
    to = serializers.DateField()
    results = FillRateRowSerializer(many=True)


class FillRateSeriesLineSerializer(serializers.Serializer):
    group = serializers.DictField(help_text="The group's labels, as in the fill-rate rows")
    values = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="metric -> one value per period (null where nothing was requested)",
    )


class FillRateSeriesSerializer(serializers.Serializer):
    group_by = serializers.ListField(child=serializers.CharField())
    period = serializers.CharField()
    vars()["from"] = serializers.DateField()
    to = serializers.DateField()
    periods = serializers.ListField(child=serializers.DateField())
    series = FillRateSeriesLineSerializer(many=True)


_QUERY_PARAMETERS = [
    OpenApiParameter(
        "group_by",
        str,
        description=f"Comma-separated, any of: {', '.join(DIMENSIONS)} (empty: one total per period)",
    ),
    OpenApiParameter("period", str, enum=list(PERIODS), description="Default week (weeks start on Monday)"),
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description="First local start date (default: 12 weeks before 'to')"
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, description="Last local start date, inclusive (default: today)"
    ),
    OpenApiParameter("trust", int, description="Only this trust"),
    OpenApiParameter("ward", int, description="Only this ward"),
    OpenApiParameter("format", str, enum=["json", "csv"], description="csv: the same rows as CSV"),
]


def _rows(query: dict, user) -> list[dict]:
    group_by = query["group_by"]
    table = selectors.fill_rate_table(
        user=user,
        group_by=group_by,
        period=query["period"],
        start=query["from"],
        end=query["to"],
        trust_id=query.get("trust"),
        ward_id=query.get("ward"),
    )
    labels = selectors.group_labels(group_by, list(table))
    rows = []
    for key, metrics in table.items():
        row = {"period_start": key[0]}
        for name, value in zip(group_by, key[1:], strict=True):
            if name in ("trust", "ward"):
                row[f"{name}_id"] = value
                row[f"{name}_name"] = labels[name].get(value, "")
            elif name in ("role", "setting"):
                row[name] = labels[name].get(value, "")
            else:
                row[name] = value
        row.update(metrics)
        rows.append(row)
    group_keys = [k for k in rows[0] if k != "period_start"][: _label_count(group_by)] if rows else []
    rows.sort(key=lambda r: (*(str(r[k]) for k in group_keys), r["period_start"]))
    return rows


def _label_count(group_by: list[str]) -> int:
    return sum(2 if name in ("trust", "ward") else 1 for name in group_by)


class FillRateApi(APIView):
    """Fill rate by slots and hours, time to fill, lead time, continuity and the reliability rates,
    grouped by any of trust, ward, role, band, setting, day/night and by day, week or month. Trust
    staff see their own trust (their own wards when limited to some), agency staff every trust of
    their agency. Metric definitions: jobs/analytics/metrics.py."""

    permission_classes = [IsStaff]
    renderer_classes = RENDERERS
    csv_filename = "fill-rates.csv"

    @extend_schema(parameters=_QUERY_PARAMETERS, responses={200: FillRateReportSerializer})
    def get(self, request):
        query = FillRateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        report = {
            "group_by": data["group_by"],
            "period": data["period"],
            "from": data["from"],
            "to": data["to"],
            "results": _rows(data, request.user),
        }
        return Response(FillRateReportSerializer(report).data)


class FillRateSeriesApi(APIView):
    """The same numbers shaped for charts: one line per group, one value per period in the range
    (null where nothing was requested)."""

    permission_classes = [IsStaff]
    renderer_classes = RENDERERS
    csv_filename = "fill-rate-series.csv"

    @extend_schema(
        parameters=[
            *_QUERY_PARAMETERS,
            OpenApiParameter(
                "metrics",
                str,
                description=f"Comma-separated, any of: {', '.join(SERIES_METRICS)} (default fill_rate,continuity_rate_90)",
            ),
        ],
        responses={200: FillRateSeriesSerializer},
    )
    def get(self, request):
        query = FillRateSeriesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        periods = _periods(data["from"], data["to"], data["period"])
        index = {start: position for position, start in enumerate(periods)}
        label_count = _label_count(data["group_by"])
        lines: dict[tuple, dict] = {}
        for row in _rows(data, request.user):
            group = {k: v for k, v in list(row.items())[1 : 1 + label_count]}
            line = lines.setdefault(
                tuple(group.items()),
                {"group": group, "values": {m: [None] * len(periods) for m in data["metrics"]}},
            )
            for metric in data["metrics"]:
                line["values"][metric][index[row["period_start"]]] = row[metric]
        body = {
            "group_by": data["group_by"],
            "period": data["period"],
            "from": data["from"],
            "to": data["to"],
            "periods": periods,
            "series": list(lines.values()),
        }
        return Response(FillRateSeriesSerializer(body).data)

    def csv_rows(self, data: dict) -> list[dict]:
        rows = []
        for line in data.get("series", []):
            for position, start in enumerate(data["periods"]):
                row = {"period_start": start, **line["group"]}
                row.update({metric: values[position] for metric, values in line["values"].items()})
                rows.append(row)
        return rows


def _periods(start: dt.date, end: dt.date, period: str) -> list[dt.date]:
    periods, current = [], period_start(start, period)
    while current <= end:
        periods.append(current)
        if period == "day":
            current += dt.timedelta(days=1)
        elif period == "week":
            current += dt.timedelta(days=7)
        else:
            current = (current + dt.timedelta(days=32)).replace(day=1)
    return periods


class UrgentCascadeSerializer(serializers.Serializer):
    wave = serializers.IntegerField(
        allow_null=True, help_text="Highest offer wave so far; null: no offer yet"
    )
    offers_sent = serializers.IntegerField()
    offers_open = serializers.IntegerField()
    offers_declined = serializers.IntegerField()
    hold_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="An exclusive hold is running until"
    )
    is_escalated = serializers.BooleanField(help_text="Inside the trust's escalation window")


class UrgentShortfallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    trust_id = serializers.IntegerField()
    trust_name = serializers.CharField(source="trust.name")
    ward_id = serializers.IntegerField()
    ward_name = serializers.CharField(source="ward.name")
    role = serializers.CharField(source="role.code")
    min_band = serializers.IntegerField()
    shift_type = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    headcount = serializers.IntegerField()
    slots_filled = serializers.IntegerField(source="booked_count")
    slots_open = serializers.SerializerMethodField()
    hours_to_start = serializers.SerializerMethodField()
    status = serializers.CharField()
    cascade = serializers.SerializerMethodField()

    def get_slots_open(self, shortfall) -> int:
        return max(shortfall.headcount - shortfall.booked_count, 0)

    def get_hours_to_start(self, shortfall) -> float:
        return round((shortfall.starts_at - self.context["now"]).total_seconds() / 3600, 2)

    @extend_schema_field(UrgentCascadeSerializer)
    def get_cascade(self, shortfall) -> dict:
        now = self.context["now"]
        return {
            "wave": shortfall.current_wave,
            "offers_sent": shortfall.offers_sent,
            "offers_open": shortfall.offers_open,
            "offers_declined": shortfall.offers_declined,
            "hold_expires_at": shortfall.hold_expires_at,
            "is_escalated": shortfall.starts_at - now
            <= dt.timedelta(hours=shortfall.trust.escalate_hours_before),
        }


class UrgentQuerySerializer(serializers.Serializer):
    within_hours = serializers.IntegerField(min_value=1, max_value=168, default=24)


class UrgentShortfallsApi(APIView):
    """Unfilled shifts starting within the next `within_hours` (default 24), soonest first, with
    where their offer cascade has got to. Trust staff see their own, agency staff every trust's."""

    permission_classes = [IsStaff]
    renderer_classes = RENDERERS
    csv_filename = "urgent-shortfalls.csv"
    pagination_class = Pagination  # the schema documents the paginated envelope and page params

    @extend_schema(
        parameters=[
            OpenApiParameter("within_hours", int, description="1-168, default 24"),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        responses={200: UrgentShortfallSerializer(many=True)},
    )
    def get(self, request):
        query = UrgentQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        shortfalls = selectors.urgent_shortfalls(
            user=request.user, now=now, within=dt.timedelta(hours=query.validated_data["within_hours"])
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(shortfalls, request, view=self)
        body = UrgentShortfallSerializer(page, many=True, context={"now": now}).data
        return paginator.get_paginated_response(body)
