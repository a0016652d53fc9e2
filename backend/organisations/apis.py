from __future__ import annotations

from rest_framework import mixins, viewsets

from backend.core.permissions import AgencyWritesStaffReads
from backend.organisations.selectors import sites_for, trusts_for, wards_for
from backend.organisations.serializers import SiteSerializer, TrustSerializer, WardSerializer


class _NoDeleteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Organisations are deactivated, never deleted: shortfalls and history point at them."""

    permission_classes = [AgencyWritesStaffReads]


class TrustViewSet(_NoDeleteViewSet):
    serializer_class = TrustSerializer
    filterset_fields = ["ods_code"]

    def get_queryset(self):
        return trusts_for(self.request.user)

    def perform_create(self, serializer):
        serializer.save(agency_id=self.request.user.agency_id)


class SiteViewSet(_NoDeleteViewSet):
    serializer_class = SiteSerializer
    filterset_fields = ["trust"]

    def get_queryset(self):
        return sites_for(self.request.user)


class WardViewSet(_NoDeleteViewSet):
    serializer_class = WardSerializer
    filterset_fields = ["trust", "site", "setting__code", "gender", "is_active"]

    def get_queryset(self):
        return wards_for(self.request.user)
