from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.core.permissions import IsAgencyStaff, IsStaff
from backend.core.schema import documents_errors
from jobs.selectors import active_bookings_with_familiarity, cascade_offers, shortfall_visible_to
from jobs.serializers import BroadenSerializer, ShortfallSerializer
from jobs.services.cascade import broaden_shortfall


class CascadeOfferSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    practitioner = serializers.IntegerField(source="practitioner_id")
    practitioner_name = serializers.CharField(source="practitioner.name")
    wave = serializers.IntegerField()
    is_exclusive_hold = serializers.BooleanField()
    score = serializers.FloatField()
    status = serializers.CharField()
    sent_at = serializers.DateTimeField()
    viewed_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField()


class CascadeBookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    practitioner = serializers.IntegerField(source="practitioner_id")
    practitioner_name = serializers.CharField(source="practitioner.name")
    status = serializers.CharField()
    is_new_to_ward = serializers.BooleanField()


class CascadeStateSerializer(serializers.Serializer):
    shortfall = ShortfallSerializer()
    wave = serializers.IntegerField()
    next_wave_at = serializers.DateTimeField(allow_null=True)
    escalated_at = serializers.DateTimeField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    offers = CascadeOfferSerializer(many=True)
    bookings = CascadeBookingSerializer(many=True)


class ShortfallCascadeApi(APIView):
    """Where the cascade stands: waves, every offer and its state, who is booked and whether they
    are new to the ward."""

    permission_classes = [IsStaff]

    @extend_schema(responses={200: CascadeStateSerializer})
    def get(self, request, id: int):
        shortfall = shortfall_visible_to(request.user, id)
        offers = list(cascade_offers(shortfall))
        counts: dict[str, int] = {}
        for offer in offers:
            counts[offer.status] = counts.get(offer.status, 0) + 1
        bookings = active_bookings_with_familiarity(shortfall)
        body = {
            "shortfall": shortfall,
            "wave": shortfall.wave,
            "next_wave_at": shortfall.next_wave_at,
            "escalated_at": shortfall.escalated_at,
            "counts": counts,
            "offers": offers,
            "bookings": bookings,
        }
        return Response(CascadeStateSerializer(body).data)


class ShortfallBroadenApi(APIView):
    """Agency staff widen who may fill an unfilled shortfall (travel radius, band, rate up to the
    cap) and matching runs again at once."""

    permission_classes = [IsAgencyStaff]

    @documents_errors(409)  # no longer open
    @extend_schema(request=BroadenSerializer, responses={200: ShortfallSerializer})
    def post(self, request, id: int):
        shortfall = shortfall_visible_to(request.user, id)
        payload = BroadenSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        broaden_shortfall(shortfall=shortfall, by=request.user, **payload.validated_data)
        return Response(ShortfallSerializer(shortfall_visible_to(request.user, id)).data)
