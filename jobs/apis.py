from __future__ import annotations

import django_filters
from django.core.exceptions import EmptyResultSet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from backend.core import listing_cache
from backend.core.filters import IsoDateTimeFilter
from backend.core.idempotency import idempotent
from backend.core.permissions import IsStaff
from backend.core.schema import documents_errors
from jobs.models import Shortfall
from jobs.selectors import shortfall_rows, shortfalls_for, with_fill_counts
from jobs.serializers import (
    ShortfallCancelSerializer,
    ShortfallCreateSerializer,
    ShortfallSerializer,
    shortfall_list_json,
)
from jobs.services.shortfalls import cancel_shortfall, post_shortfall

LIST_CACHE_TTL = 300  # seconds; a cached page is exact until the listing version moves


def _described(queryset) -> str:
    try:
        return str(queryset.query)
    except EmptyResultSet:  # e.g. no wards at all: nothing to see
        return "nothing"


class ShortfallFilter(django_filters.FilterSet):
    role = django_filters.CharFilter(field_name="role__code")
    starts_after = IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    status = django_filters.MultipleChoiceFilter(choices=Shortfall.Status.choices)

    class Meta:
        model = Shortfall
        fields = ["ward", "role", "status", "shift_type", "starts_after", "starts_before"]


class ShortfallViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Trust staff post and manage their trust's shortfalls; agency staff see every trust's."""

    permission_classes = [IsStaff]
    filterset_class = ShortfallFilter

    def get_queryset(self):
        return with_fill_counts(shortfalls_for(self.request.user)).prefetch_related(
            "required_competences", "desired_competences"
        )

    def list(self, request, *args, **kwargs):
        version = listing_cache.read_version()  # before the data: see backend/core/listing_cache.py
        visible = shortfalls_for(request.user)
        # What the caller may see (the visibility query) and asked for (the URL: filters, page).
        # A URL is stored only once it has answered 200, so a hit needs no filter validation.
        key = (_described(visible), request.build_absolute_uri())
        body = listing_cache.get("shortfalls", version, *key)
        if body is None:
            shortfalls = self.filter_queryset(visible).order_by("starts_at", "id")
            page_ids = self.paginate_queryset(shortfalls.values_list("id", flat=True))
            rows = [shortfall_list_json(row) for row in shortfall_rows(list(page_ids))]
            body = self.get_paginated_response(rows).data
            listing_cache.put("shortfalls", version, body, *key, ttl=LIST_CACHE_TTL)
        return Response(body)

    def get_serializer_class(self):
        if self.action == "create":
            return ShortfallCreateSerializer
        if self.action == "cancel":
            return ShortfallCancelSerializer
        return ShortfallSerializer

    @idempotent
    @extend_schema(request=ShortfallCreateSerializer, responses={201: ShortfallSerializer})
    def create(self, request, *args, **kwargs):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        shortfall = post_shortfall(posted_by=request.user, **payload.validated_data)
        body = ShortfallSerializer(self.get_queryset().get(id=shortfall.id)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @documents_errors(409)  # already closed
    @idempotent
    @extend_schema(request=ShortfallCancelSerializer, responses={200: ShortfallSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        shortfall = self.get_object()
        payload = ShortfallCancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cancel_shortfall(
            shortfall=shortfall, cancelled_by=request.user, reason=payload.validated_data["reason"]
        )
        return Response(ShortfallSerializer(self.get_queryset().get(id=shortfall.id)).data)
