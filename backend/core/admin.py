from __future__ import annotations

from django.contrib import admin

from backend.core.models import AuditEvent, IdempotencyRecord, OutboxMessage


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail is append-only (a database trigger enforces it): the admin only reads."""

    list_display = ("occurred_at", "actor", "action", "subject_type", "subject_id", "ip_address", "path")
    list_filter = ("action", "subject_type", ("occurred_at", admin.DateFieldListFilter))
    search_fields = ("subject_type", "subject_id", "=practitioner_id", "actor__username", "ip_address")
    date_hierarchy = "occurred_at"
    list_select_related = ("actor",)
    show_full_result_count = False  # the table grows without bound; COUNT(*) per page is wasteful

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "task", "queue", "created_at", "published_at", "attempts", "last_error")
    list_filter = ("task", ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("task",)
    readonly_fields = ("created_at", "task", "kwargs", "queue", "published_at", "attempts", "last_error")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """Stored first responses for Idempotency-Key retries: evidence for support, never edited."""

    list_display = ("created_at", "user", "key", "method", "path", "response_status")
    list_filter = ("method", "response_status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=key", "path", "user__username")
    list_select_related = ("user",)
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
