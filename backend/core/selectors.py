from __future__ import annotations

from django.db.models import Q, QuerySet

from backend.core.models import AuditEvent


def audit_events_for(user) -> QuerySet[AuditEvent]:
    """Events about the agency's practitioners or done by the agency's own staff."""
    if not user.is_authenticated or not (user.is_agency_staff and user.is_agency_admin):
        return AuditEvent.objects.none()
    from backend.practitioners.models import Practitioner

    practitioners = Practitioner.objects.filter(agency_id=user.agency_id).values("id")
    return (
        AuditEvent.objects.filter(Q(practitioner_id__in=practitioners) | Q(actor__agency_id=user.agency_id))
        .select_related("actor")
        .order_by("-occurred_at", "-id")
    )
