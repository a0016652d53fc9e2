"""Recording access to personal data. Call from services and selectors, never from models."""

from __future__ import annotations

from typing import Any

from rest_framework.settings import api_settings

from backend.core.models import AuditEvent


def client_ip(request) -> str | None:
    """The client's address. X-Forwarded-For is believed only as far as the NUM_PROXIES trusted
    proxies in front of the app appended to it (REST_FRAMEWORK["NUM_PROXIES"], as DRF's throttles
    do): its first entry is whatever the client chose to send, and would let anyone write any
    address into the audit trail or dodge the login lockout by rotating it."""
    if request is None:
        return None
    proxies = api_settings.NUM_PROXIES or 0
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR") or None


def record(
    *,
    actor,
    action: str,
    subject_type: str,
    subject_id: Any = "",
    practitioner_id: int | None = None,
    request=None,
    detail: dict | None = None,
) -> AuditEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id or ""),
        practitioner_id=practitioner_id,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        path=(request.get_full_path()[:300] if request is not None else ""),
        detail=detail or {},
    )


def record_many(*, actor, action: str, subject_type: str, practitioner_ids, request=None) -> None:
    """One row per practitioner for a list read (bulk insert: a list page is one query)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    ip = client_ip(request)
    agent = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    path = request.get_full_path()[:300] if request is not None else ""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=user,
                action=action,
                subject_type=subject_type,
                subject_id=str(pid),
                practitioner_id=pid,
                ip_address=ip,
                user_agent=agent,
                path=path,
            )
            for pid in practitioner_ids
        ]
    )
