from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from backend.core.errors import NotFound
from backend.core.idempotency import idempotent
from backend.core.permissions import IsPractitioner
from backend.core.schema import documents_errors
from jobs.models import Offer
from jobs.selectors import offers_visible_to
from jobs.serializers import BookingSerializer
from jobs.services.offers import accept_offer, decline_offer, mark_offer_viewed


class OfferSerializer(serializers.ModelSerializer):
    ward = serializers.CharField(source="shortfall.ward.name", read_only=True)
    trust = serializers.CharField(source="shortfall.trust.name", read_only=True)
    role = serializers.CharField(source="shortfall.role.code", read_only=True)
    starts_at = serializers.DateTimeField(source="shortfall.starts_at", read_only=True)
    ends_at = serializers.DateTimeField(source="shortfall.ends_at", read_only=True)
    hourly_rate = serializers.DecimalField(
        source="shortfall.hourly_rate", max_digits=7, decimal_places=2, read_only=True, allow_null=True
    )
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "shortfall",
            "ward",
            "trust",
            "role",
            "starts_at",
            "ends_at",
            "hourly_rate",
            "wave",
            "is_exclusive_hold",
            "score",
            "reasons",
            "status",
            "sent_at",
            "viewed_at",
            "expires_at",
            "responded_at",
        ]
        read_only_fields = fields

    def get_reasons(self, offer) -> list[str]:
        return list(offer.explanation.get("reasons", []))


class OfferDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class OfferFilter(django_filters.FilterSet):
    is_open = django_filters.BooleanFilter(method="filter_open", label="Only offers still open")
    is_unread = django_filters.BooleanFilter(
        field_name="viewed_at", lookup_expr="isnull", label="Not yet viewed"
    )

    class Meta:
        model = Offer
        fields = ["status", "is_open", "is_unread"]

    def filter_open(self, queryset, name, value):
        from django.utils import timezone

        opened = queryset.filter(status__in=Offer.OPEN_STATUSES, expires_at__gt=timezone.now())
        return opened if value else queryset.exclude(id__in=opened.values("id"))


def _offer_id(pk: str | None) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None


class OfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A practitioner's offer inbox. Opening an offer marks it viewed."""

    permission_classes = [IsPractitioner]
    serializer_class = OfferSerializer
    filterset_class = OfferFilter

    def get_queryset(self):
        return (
            offers_visible_to(self.request.user)
            .select_related("shortfall__ward", "shortfall__trust", "shortfall__role")
            .order_by("-sent_at", "-id")
        )

    def retrieve(self, request, *args, **kwargs):
        offer = self.get_object()
        mark_offer_viewed(offer=offer)
        offer.refresh_from_db()
        return Response(self.get_serializer(offer).data)

    @documents_errors(409, 410, 422)  # filled, closed, clash, rest, hours / expired / not eligible
    @idempotent
    @extend_schema(request=None, responses={201: BookingSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        # The service finds the offer among the caller's own (anyone else's is a 404), under its locks.
        booking = accept_offer(offer_id=_offer_id(pk), practitioner=request.user.practitioner)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    @documents_errors(409, 410)  # withdrawn or already answered / expired
    @idempotent
    @extend_schema(request=OfferDeclineSerializer, responses={200: OfferSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        payload = OfferDeclineSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        offer = decline_offer(
            offer_id=self.get_object().id,
            practitioner=request.user.practitioner,
            reason=payload.validated_data["reason"],
        )
        return Response(self.get_serializer(offer).data)
