"""Reads of practitioner data, scoped to the caller. Practitioner data is personal: the APIs that
call these record every access in the audit trail."""

from __future__ import annotations

from django.db.models import QuerySet

from backend.practitioners.models import Availability, Credential, Practitioner


def practitioners_for(user) -> QuerySet[Practitioner]:
    if not user.is_authenticated:
        return Practitioner.objects.none()
    if user.is_agency_staff:
        return Practitioner.objects.filter(agency_id=user.agency_id).select_related("user", "role")
    if user.is_practitioner:
        return Practitioner.objects.filter(user_id=user.id).select_related("user", "role")
    return Practitioner.objects.none()


def credentials_for(user) -> QuerySet[Credential]:
    return Credential.objects.filter(practitioner__in=practitioners_for(user)).select_related(
        "credential_type", "practitioner"
    )


def availability_for(user) -> QuerySet[Availability]:
    return Availability.objects.filter(practitioner__in=practitioners_for(user))
