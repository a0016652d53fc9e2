from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FileUploadParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.core import audit, listing_cache
from backend.core.errors import NotFound, PermissionDenied, ValidationFailed
from backend.core.pagination import Pagination
from backend.core.permissions import IsAgencyStaff, IsPractitioner, IsStaff
from backend.organisations.selectors import trusts_for
from backend.practitioners.models import Practitioner
from backend.practitioners.selectors import practitioners_for
from jobs.selectors import shortfall_visible_to
from matching import fresh, services
from matching.history_import import MAX_BYTES, import_placement_history


class PractitionerBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField(source="role.code")
    band = serializers.IntegerField()


class BlockerSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class CandidateSerializer(serializers.Serializer):
    practitioner = PractitionerBriefSerializer()
    score = serializers.FloatField()
    terms = serializers.DictField(child=serializers.FloatField())
    reasons = serializers.ListField(child=serializers.CharField())
    is_familiar = serializers.BooleanField(help_text="Has worked on this ward before")


class IneligibleSerializer(serializers.Serializer):
    practitioner = PractitionerBriefSerializer()
    blockers = BlockerSerializer(many=True)


class CandidatesOutputSerializer(serializers.Serializer):
    shortfall = serializers.IntegerField()
    eligible_count = serializers.IntegerField()
    candidates = CandidateSerializer(many=True)
    ineligible = IneligibleSerializer(many=True, required=False)


class ShortfallCandidatesApi(APIView):
    """Who could fill this shortfall, best first and why; agency staff may also ask who could not,
    and why not (the named blockers)."""

    permission_classes = [IsStaff]

    class QuerySerializer(serializers.Serializer):
        include_ineligible = serializers.BooleanField(default=False)
        limit = serializers.IntegerField(min_value=1, max_value=200, default=50)

    @extend_schema(
        parameters=[
            OpenApiParameter("include_ineligible", bool, description="Agency staff only"),
            OpenApiParameter("limit", int),
        ],
        responses={200: CandidatesOutputSerializer},
    )
    def get(self, request, id: int):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        include_ineligible = query.validated_data["include_ineligible"]
        if include_ineligible and not request.user.is_agency_staff:
            raise PermissionDenied("Only agency staff may see why practitioners were not matched.")
        shortfall = shortfall_visible_to(request.user, id)
        ranking, _ = services.rank_shortfall(
            shortfall=shortfall, include_ineligible=include_ineligible, limit=query.validated_data["limit"]
        )
        ids = [int(c.practitioner_id) for c in ranking.candidates] + [
            int(i.practitioner_id) for i in ranking.ineligible
        ]
        people = Practitioner.objects.select_related("user", "role").in_bulk(ids)
        audit.record_many(
            actor=request.user, action="read", subject_type="candidate", practitioner_ids=ids, request=request
        )
        body = {
            "shortfall": shortfall.id,
            "eligible_count": ranking.eligible_count,
            "candidates": [
                {
                    "practitioner": people[int(c.practitioner_id)],
                    "score": round(c.score, 4),
                    "terms": c.terms,
                    "reasons": list(c.reasons),
                    "is_familiar": c.terms.get("continuity", 0) > 0,
                }
                for c in ranking.candidates
            ],
        }
        if include_ineligible:
            body["ineligible"] = [
                {"practitioner": people[int(i.practitioner_id)], "blockers": list(i.blockers)}
                for i in ranking.ineligible
            ]
        return Response(CandidatesOutputSerializer(body).data)


# Scores read "last worked N days ago": a cached page of roles is rebuilt at least this often.
ROLES_CACHE_TTL = 60


class RoleSerializer(serializers.Serializer):
    """The documented shape of one role; ``role_json`` writes the same JSON without the per-field
    machinery (a page of 50 cost ~5 ms through the serializer; a test keeps the two equal)."""

    shortfall = serializers.IntegerField(source="shift.id")
    ward = serializers.CharField(source="ward.name")
    trust = serializers.CharField(source="ward.trust_name")
    setting = serializers.CharField(source="ward.setting")
    role = serializers.CharField()
    min_band = serializers.IntegerField(source="shift.min_band")
    starts_at = serializers.DateTimeField(source="shift.starts_at")
    ends_at = serializers.DateTimeField(source="shift.ends_at")
    shift_type = serializers.CharField(source="shift.shift_type")
    hourly_rate = serializers.DecimalField(
        source="shift.hourly_rate", max_digits=7, decimal_places=2, allow_null=True
    )
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


_datetime_field = serializers.DateTimeField()
_rate_field = serializers.DecimalField(max_digits=7, decimal_places=2)


def role_json(match: services.RoleMatch) -> dict:
    shift, ward = match.shift, match.ward
    return {
        "shortfall": shift.id,
        "ward": ward.name,
        "trust": ward.trust_name,
        "setting": ward.setting,
        "role": match.role,
        "min_band": shift.min_band,
        "starts_at": _datetime_field.to_representation(shift.starts_at),
        "ends_at": _datetime_field.to_representation(shift.ends_at),
        "shift_type": shift.shift_type,
        "hourly_rate": None
        if shift.hourly_rate is None
        else _rate_field.to_representation(shift.hourly_rate),
        "score": float(match.score),
        "reasons": [str(reason) for reason in match.reasons],
    }


class RolesForYouApi(APIView):
    """Open shifts the calling practitioner is eligible for, best match first, each with reasons."""

    permission_classes = [IsPractitioner]
    pagination_class = Pagination  # the schema documents the paginated envelope and page params

    class QuerySerializer(serializers.Serializer):
        starts_after = serializers.DateTimeField(required=False)
        starts_before = serializers.DateTimeField(required=False)
        setting = serializers.SlugField(required=False)
        max_distance_km = serializers.FloatField(required=False, min_value=1, max_value=500)
        q = serializers.CharField(required=False, max_length=100)

    @extend_schema(
        parameters=[
            OpenApiParameter("starts_after", dt.datetime),
            OpenApiParameter("starts_before", dt.datetime),
            OpenApiParameter("setting", str),
            OpenApiParameter("max_distance_km", float),
            OpenApiParameter(
                "q", str, description="Free text: a setting (e.g. 'psychiatric intensive care') or ward"
            ),
        ],
        responses={200: RoleSerializer(many=True)},
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        practitioner = request.user.practitioner
        version = listing_cache.read_version()  # before the data: see backend/core/listing_cache.py
        now = timezone.now()
        caller = fresh.load_caller(practitioner.id, now=now) if fresh.is_available() else None
        # The page depends on the caller's own data (read fresh above, every request), the open
        # shifts and policies (the listing version), the URL, and time (first_start, ROLES_CACHE_TTL).
        key = (repr(caller), request.build_absolute_uri())
        cached = listing_cache.get("roles", version, *key) if caller is not None else None
        if cached is not None and cached["until"] > now:
            return Response(cached["body"])
        roles = services.list_roles(
            practitioner=practitioner,
            caller=caller,
            now=now,
            starts_after=params.get("starts_after"),
            starts_before=params.get("starts_before"),
            setting=params.get("setting"),
            max_distance_km=params.get("max_distance_km"),
            search=params.get("q"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(roles.matches, request, view=self)
        body = paginator.get_paginated_response([role_json(match) for match in page]).data
        if caller is not None:
            until = now + dt.timedelta(seconds=ROLES_CACHE_TTL)
            if roles.first_start is not None:
                until = min(until, roles.first_start)
            listing_cache.put("roles", version, {"body": body, "until": until}, *key, ttl=ROLES_CACHE_TTL)
        return Response(body)


class AssignmentPreviewApi(APIView):
    """A proposed batch assignment of a horizon's open slots (nothing is booked), with the LP bound
    it was measured against."""

    permission_classes = [IsAgencyStaff]

    class PreviewInputSerializer(serializers.Serializer):
        starts_after = serializers.DateTimeField(required=False)
        starts_before = serializers.DateTimeField(required=False)
        time_limit = serializers.FloatField(min_value=0.5, max_value=60, default=10)

    class AssignmentOut(serializers.Serializer):
        shortfall = serializers.IntegerField()
        practitioner = serializers.IntegerField()
        score = serializers.FloatField()

    class PreviewSerializer(serializers.Serializer):
        starts_after = serializers.DateTimeField()
        starts_before = serializers.DateTimeField()
        open_slots = serializers.IntegerField()
        filled = serializers.IntegerField()
        objective = serializers.FloatField()
        lp_bound = serializers.FloatField(allow_null=True)
        percent_of_bound = serializers.FloatField(allow_null=True)
        method = serializers.CharField()
        seconds = serializers.FloatField()
        assignments = serializers.ListField(child=serializers.DictField())

    @extend_schema(request=PreviewInputSerializer, responses={200: PreviewSerializer})
    def post(self, request):
        payload = self.PreviewInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        now = timezone.now()
        starts_after = payload.validated_data.get("starts_after", now)
        starts_before = payload.validated_data.get("starts_before", starts_after + dt.timedelta(days=7))
        if starts_before <= starts_after:
            raise ValidationFailed(extra={"fields": {"starts_before": ["Must be after starts_after."]}})
        if starts_before - starts_after > dt.timedelta(days=31):
            raise ValidationFailed(extra={"fields": {"starts_before": ["A horizon is at most 31 days."]}})
        result, rows = services.preview_assignment(
            trusts=trusts_for(request.user),
            starts_after=starts_after,
            starts_before=starts_before,
            time_limit=payload.validated_data["time_limit"],
        )
        open_slots = sum(s.headcount for s in rows)
        bound = result.lp_bound
        body = {
            "starts_after": starts_after,
            "starts_before": starts_before,
            "open_slots": open_slots,
            "filled": result.filled,
            "objective": round(result.objective, 6),
            "lp_bound": round(bound, 6) if bound is not None else None,
            "percent_of_bound": round(100 * result.objective / bound, 3) if bound else None,
            "method": result.method,
            "seconds": round(result.seconds, 3),
            "assignments": [
                {
                    "shortfall": int(a.shortfall),
                    "practitioner": int(a.practitioner),
                    "score": round(a.score, 6),
                }
                for a in result.assignments
            ],
        }
        return Response(self.PreviewSerializer(body).data)


class ReviewItemSerializer(serializers.Serializer):
    row_number = serializers.IntegerField()
    trust_text = serializers.CharField()
    ward_text = serializers.CharField()
    shifts = serializers.IntegerField()
    first_worked_on = serializers.DateField()
    last_worked_on = serializers.DateField()
    problem = serializers.CharField()
    suggestions = serializers.ListField(child=serializers.DictField())
    status = serializers.CharField()


class PlacementImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    practitioner = serializers.IntegerField(source="practitioner_id")
    filename = serializers.CharField()
    rows_total = serializers.IntegerField()
    rows_imported = serializers.IntegerField()
    rows_for_review = serializers.IntegerField()
    review_items = ReviewItemSerializer(many=True)
    created_at = serializers.DateTimeField()


class PlacementHistoryImportApi(APIView):
    """Agency staff upload a practitioner's past placements as CSV (columns trust, ward, shifts,
    first_worked, last_worked). 201 for a new import, 200 when this exact file was imported before."""

    permission_classes = [IsAgencyStaff]
    parser_classes = [MultiPartParser, FileUploadParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={200: PlacementImportSerializer, 201: PlacementImportSerializer},
    )
    def post(self, request, id: int):
        practitioner = practitioners_for(request.user).filter(id=id).first()
        if practitioner is None:
            raise NotFound()
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed(extra={"fields": {"file": ["Attach the CSV file as 'file'."]}})
        if upload.size > MAX_BYTES:
            raise ValidationFailed("The file is larger than 1 MB.", extra={"max_bytes": MAX_BYTES})
        if not (upload.name or "").lower().endswith(".csv"):
            raise ValidationFailed(
                extra={"fields": {"file": ["Upload a .csv file (save the sheet as CSV UTF-8)."]}}
            )
        record, is_new = import_placement_history(
            practitioner=practitioner,
            uploaded_by=request.user,
            filename=upload.name or "",
            content=upload.read(),
            request=request,
        )
        body = PlacementImportSerializer(record).data
        body["review_items"] = ReviewItemSerializer(record.review_items.all(), many=True).data
        return Response(body, status=201 if is_new else 200)
