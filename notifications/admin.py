from __future__ import annotations

from django.contrib import admin
from django.db import models

from notifications.models import (
    CalendarFeed,
    Delivery,
    Notification,
    NotificationPreference,
    TrustWebhookEndpoint,
    WebhookMessage,
)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ("channel", "status", "attempts", "provider_message_id", "last_error", "sent_at", "failed_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "recipient", "is_urgent", "is_digest_pending", "read_at", "created_at")
    list_filter = ("kind", "is_urgent", "is_digest_pending")
    list_select_related = ("recipient",)
    search_fields = ("dedupe_key", "recipient__username", "recipient__email")
    raw_id_fields = ("recipient", "digested_in")
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "status", "attempts", "notification", "endpoint", "sent_at", "failed_at")
    list_filter = ("channel", "status")
    list_select_related = ("notification", "endpoint", "webhook_message")
    search_fields = ("provider_message_id", "last_error", "notification__dedupe_key")
    raw_id_fields = ("notification", "webhook_message", "endpoint")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "quiet_hours_start", "quiet_hours_end")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)


@admin.register(TrustWebhookEndpoint)
class TrustWebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "trust", "is_active", "consecutive_failures", "disabled_at")
    list_filter = ("is_active",)
    list_select_related = ("trust",)
    search_fields = ("url", "trust__name")
    exclude = ("secret",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(WebhookMessage)
class WebhookMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "trust", "created_at")
    list_filter = ("event",)
    list_select_related = ("trust",)
    search_fields = ("dedupe_key", "event")
    inlines = [DeliveryInline]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("user", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    exclude = ("token",)
