from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from backend.core.errors import PermissionDenied
from backend.core.filters import IsoDateTimeFilter
from backend.core.idempotency import idempotent
from backend.core.permissions import IsPractitioner, IsStaff
from backend.core.schema import documents_errors
from jobs.models import Booking
from jobs.selectors import bookings_for
from jobs.serializers import (
    BookingCancelSerializer,
    BookingNoShowSerializer,
    BookingSerializer,
    TrustFeedbackSerializer,
    WardFeedbackInputSerializer,
)
from jobs.services.booking_lifecycle import cancel_booking, rate_practitioner, rate_ward
from jobs.services.no_show import record_no_show


class BookingFilter(django_filters.FilterSet):
    starts_after = IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Booking
        fields = ["status", "shortfall", "practitioner", "starts_after", "starts_before"]


class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bookings: practitioners see their own, trust staff their trust's, agency staff all of theirs."""

    serializer_class = BookingSerializer
    filterset_class = BookingFilter

    def get_permissions(self):
        if self.action in ("feedback", "no_show"):
            return [IsStaff()]
        if self.action == "ward_feedback":
            return [IsPractitioner()]
        return [(IsStaff | IsPractitioner)()]

    def get_queryset(self):
        return (
            bookings_for(self.request.user)
            .select_related("shortfall__ward", "shortfall__trust", "practitioner__user")
            .order_by("starts_at", "id")
        )

    @documents_errors(409)  # not confirmed, or already started
    @idempotent
    @extend_schema(request=BookingCancelSerializer, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        payload = BookingCancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        booking = cancel_booking(
            booking=self.get_object(), cancelled_by=request.user, reason=payload.validated_data["reason"]
        )
        return Response(self.get_serializer(booking).data)

    @documents_errors(409, 422)  # not confirmed or completed / not started; outside the 7-day window
    @idempotent
    @extend_schema(
        request=BookingNoShowSerializer,
        responses={200: BookingSerializer},
        description="Record that the practitioner never arrived: from the shift's start until 7 days "
        "after its end, on a confirmed or completed booking (a completed shift is taken back out of "
        "the continuity ledger). Marking a no-show twice changes nothing.",
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        payload = BookingNoShowSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        booking = record_no_show(
            booking=self.get_object(),
            by=request.user,
            reason=payload.validated_data["reason"],
            request=request,
        )
        return Response(self.get_serializer(booking).data)

    @documents_errors(409)  # not completed, or already rated
    @extend_schema(request=TrustFeedbackSerializer, responses={201: TrustFeedbackSerializer})
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        booking = self.get_object()
        payload = TrustFeedbackSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        feedback = rate_practitioner(booking=booking, given_by=request.user, **payload.validated_data)
        return Response(TrustFeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)

    @documents_errors(409)  # not completed, or already rated
    @extend_schema(request=WardFeedbackInputSerializer, responses={201: WardFeedbackInputSerializer})
    @action(detail=True, methods=["post"], url_path="ward-feedback")
    def ward_feedback(self, request, pk=None):
        booking = self.get_object()
        if booking.practitioner.user_id != request.user.id:
            raise PermissionDenied()
        payload = WardFeedbackInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        feedback = rate_ward(booking=booking, **payload.validated_data)
        return Response(WardFeedbackInputSerializer(feedback).data, status=status.HTTP_201_CREATED)
