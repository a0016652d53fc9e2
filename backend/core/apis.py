from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.core.filters import IsoDateTimeFilter
from backend.core.middleware import policy_header
from backend.core.models import AuditEvent
from backend.core.permissions import IsAgencyAdmin
from backend.core.selectors import audit_events_for


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor",
            "action",
            "subject_type",
            "subject_id",
            "practitioner_id",
            "ip_address",
            "user_agent",
            "path",
            "detail",
        ]
        read_only_fields = fields


class AuditEventFilter(django_filters.FilterSet):
    subject = django_filters.NumberFilter(
        field_name="practitioner_id", label="Practitioner whose data was touched"
    )
    actor = django_filters.CharFilter(field_name="actor__username")
    occurred_after = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["subject", "actor", "action", "subject_type", "occurred_after", "occurred_before"]


@extend_schema_view(list=extend_schema(summary="Who accessed a practitioner's personal data, and when"))
class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The append-only audit trail, for agency admins: `?subject=<practitioner id>` answers "who
    accessed this person"."""

    permission_classes = [IsAgencyAdmin]
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter

    def get_queryset(self):
        return audit_events_for(self.request.user)


class PingApi(APIView):
    """The framework's own floor for an authenticated call (token lookup, DRF, JSON) and nothing
    else: `make bench-load` runs it beside the real endpoints."""

    @extend_schema(responses={200: inline_serializer("Ping", {"ok": serializers.BooleanField()})})
    def get(self, request):
        return Response({"ok": True})


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI. Its init script is a separate file (the split view), so scripts stay 'self'; the
    page's own few inline CSS rules are allowed here and nowhere else."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = policy_header(style_src=["'self'", "'unsafe-inline'"])
        return response
