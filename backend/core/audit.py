"""Recording access to personal data. Call from services and selectors, never from models."""

from __future__ import annotations

from typing import Any

from backend.core.models import AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
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
