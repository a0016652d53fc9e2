"""Reads of organisations, scoped to the caller."""

from __future__ import annotations

from django.db.models import QuerySet

from backend.organisations.models import Site, Trust, Ward


def trusts_for(user) -> QuerySet[Trust]:
    if not user.is_authenticated:
        return Trust.objects.none()
    if user.is_agency_staff:
        return Trust.objects.filter(agency_id=user.agency_id)
    if user.is_trust_staff:
        return Trust.objects.filter(id=user.trust_id)
    return Trust.objects.none()


def sites_for(user) -> QuerySet[Site]:
    return Site.objects.filter(trust__in=trusts_for(user)).select_related("trust")


def wards_for(user) -> QuerySet[Ward]:
    """Wards the user may see. Trust staff limited to some wards see only those."""
    wards = Ward.objects.filter(trust__in=trusts_for(user)).select_related("trust", "site", "setting")
    if user.is_authenticated and user.is_trust_staff:
        limited_to = list(user.wards.values_list("id", flat=True))
        if limited_to:
            wards = wards.filter(id__in=limited_to)
    return wards
