"""OpenAPI: every operation documents the errors it can return, each with the one error body.

The generic refusals follow from how the view is built (backend/core/exceptions.py renders them):
400 when it takes a body, query parameters or headers, 401 and 403 when it needs a user (403: a role check,
or CSRF on a session-authenticated write), 404 when it addresses an object or a page, 429 when it is
throttled. Domain refusals (409, 410, 422) are declared on the view method with @documents_errors.
"""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated


class ErrorSerializer(serializers.Serializer):
    """The body of every refusal (backend/core/exceptions.py)."""

    code = serializers.CharField()
    message = serializers.CharField()
    extra = serializers.DictField()


ERROR_DESCRIPTIONS = {
    400: "Malformed request or invalid fields (validation_error: extra.fields names each problem).",
    401: "No valid credentials (not_authenticated / authentication_failed).",
    403: "The caller's role may not do this, or a session write without its CSRF token (permission_denied).",
    404: "No such object among those the caller may see, or no such page (not_found).",
    409: "The request conflicts with the current state (the code says which rule).",
    410: "Gone: the offer has expired (offer_expired).",
    422: "Understood but refused by a domain rule (the code says which).",
    429: "Too many attempts (throttled: extra.retry_after_seconds).",
}
DOMAIN_STATUSES = frozenset({409, 410, 422})


def documents_errors(*statuses: int) -> Callable:
    """Declare the domain refusals a view method (or viewset action) can return, e.g.
    @documents_errors(409, 410, 422) on accept; the schema lists them with the error body."""
    unknown = set(statuses) - DOMAIN_STATUSES
    if unknown:
        raise ValueError(f"@documents_errors is for {sorted(DOMAIN_STATUSES)}; {sorted(unknown)} are derived")

    def decorate(view_method: Callable) -> Callable:
        view_method.error_statuses = frozenset(getattr(view_method, "error_statuses", ())) | set(statuses)
        return view_method

    return decorate


# DRF renders a TimeField as "22:00:00" (local wall-clock, no offset); JSON Schema's "time" format
# demands an offset, so the schema gives the shape instead.
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


class AutoSchema(SpectacularAutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.TimeField) and schema.get("format") == "time":
            del schema["format"]
            schema["pattern"] = LOCAL_TIME_PATTERN
            schema.setdefault("description", "Europe/London wall-clock time, HH:MM[:SS].")
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = {"application/json": {"schema": self.resolve_serializer(ErrorSerializer, "response").ref}}
        responses = operation.setdefault("responses", {})
        for status in sorted(self._error_statuses(operation)):
            responses.setdefault(str(status), {"description": ERROR_DESCRIPTIONS[status], "content": error})
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _view_method(self) -> Callable | None:
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _error_statuses(self, operation: dict) -> set[int]:
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        headers = {p["name"] for p in parameters if p["in"] == "header"}  # e.g. Idempotency-Key
        statuses: set[int] = set(getattr(self._view_method(), "error_statuses", ()))
        if "requestBody" in operation or query or headers:
            statuses.add(400)
        permissions = self.view.get_permissions()
        if not all(isinstance(p, AllowAny) for p in permissions):
            statuses.add(401)
            role_checked = any(not isinstance(p, (IsAuthenticated, AllowAny)) for p in permissions)
            if role_checked or self.method not in SAFE_METHODS:
                statuses.add(403)
        if any(p["in"] == "path" for p in parameters) or "page" in query:
            statuses.add(404)
        if self.view.get_throttles():
            statuses.add(429)
        return statuses
