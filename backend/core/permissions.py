"""Which kinds of user may call an endpoint. Object scoping is not done here: selectors return
querysets already limited to the caller, so an object outside them is simply not found (404)."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission


def _kind(request) -> str | None:
    user = request.user
    return getattr(user, "kind", None) if user and user.is_authenticated else None


class IsAgencyStaff(BasePermission):
    def has_permission(self, request, view) -> bool:
        return _kind(request) == "agency_staff"


class IsTrustStaff(BasePermission):
    def has_permission(self, request, view) -> bool:
        return _kind(request) == "trust_staff"


class IsPractitioner(BasePermission):
    def has_permission(self, request, view) -> bool:
        return _kind(request) == "practitioner" and hasattr(request.user, "practitioner")


class IsStaff(BasePermission):
    """Agency or trust staff."""

    def has_permission(self, request, view) -> bool:
        return _kind(request) in {"agency_staff", "trust_staff"}


class AgencyWritesStaffReads(BasePermission):
    """Agency staff read and write; trust staff read (their own, by selector)."""

    def has_permission(self, request, view) -> bool:
        kind = _kind(request)
        if kind == "agency_staff":
            return True
        return kind == "trust_staff" and request.method in SAFE_METHODS


class IsAgencyAdmin(BasePermission):
    def has_permission(self, request, view) -> bool:
        return _kind(request) == "agency_staff" and bool(getattr(request.user, "is_agency_admin", False))
