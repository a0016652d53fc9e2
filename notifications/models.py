"""What we told whom, through which channel, and whether it arrived.

A Notification is one message to one user (the in-app inbox entry); each Delivery is one attempt
stream on one channel (email, SMS, in-app, or a trust's webhook endpoint). A trust webhook has no
user: a WebhookMessage stands in for the Notification there. Delivery status only moves forward by
conditional UPDATE (services.deliver), so a duplicate task never sends twice.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from backend.core.models import BaseModel


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Notification(BaseModel):
    class Kind(models.TextChoices):
        OFFER = "offer", "Shift offer"
        OFFER_WITHDRAWN = "offer_withdrawn", "Offer withdrawn"
        BOOKING_CONFIRMED = "booking_confirmed", "Booking confirmed"
        BOOKING_CANCELLED = "booking_cancelled", "Booking cancelled"
        SHIFT_REMINDER = "shift_reminder", "Shift reminder"
        CREDENTIAL_EXPIRING = "credential_expiring", "Credential expiring"
        SAFE_STAFFING_ALERT = "safe_staffing_alert", "Safe-staffing alert"
        DAILY_DIGEST = "daily_digest", "Daily digest"
        WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint_disabled", "Webhook endpoint disabled"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    payload = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    is_urgent = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    # Folded into the recipient's next daily digest instead of (email/SMS) alerts now.
    is_digest_pending = models.BooleanField(default=False)
    digested_in = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="digested"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["recipient"], condition=Q(is_digest_pending=True), name="notification_digest_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(BaseModel):
    """A user's channels per kind, quiet hours (Europe/London) and which kinds wait for the digest.
    No row means the defaults (services.default_channels)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    # {"offer": ["email", "sms"], ...}; a kind missing here uses the default channels. In-app is always on.
    channels = models.JSONField(default=dict, blank=True)
    quiet_hours_start = models.TimeField(default=dt.time(22, 0))
    quiet_hours_end = models.TimeField(default=dt.time(7, 0))
    # Non-urgent notifications of these kinds wait for the daily digest (in-app at once).
    digest_kinds = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Notification preferences of {self.user_id}"


class TrustWebhookEndpoint(BaseModel):
    """A trust system that wants events (shortfall.filled, booking.cancelled ...) POSTed to it,
    signed with HMAC-SHA256 over "<timestamp>.<body>" with `secret`. Disabled after repeated
    permanent failures; agency staff are told."""

    trust = models.ForeignKey(
        "organisations.Trust", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, default=new_secret)
    events = models.JSONField(default=list, blank=True, help_text="Event names; empty means every event.")
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["trust_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["trust", "url"], name="webhook_endpoint_unique_url_per_trust")
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.trust_id})"

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


class WebhookMessage(BaseModel):
    """One event for one trust's systems; one Delivery per subscribed endpoint."""

    trust = models.ForeignKey(
        "organisations.Trust", on_delete=models.CASCADE, related_name="webhook_messages"
    )
    event = models.CharField(max_length=60)
    payload = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} for {self.trust_id}"


class Delivery(BaseModel):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        IN_APP = "in_app", "In-app"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    webhook_message = models.ForeignKey(
        WebhookMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        TrustWebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_message_id = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # A claim is only valid once this time has come; retries wait here, and the beat sweep
    # enqueues them when it passes (no long countdowns against a short broker visibility timeout).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(notification__isnull=False, webhook_message__isnull=True)
                | Q(notification__isnull=True, webhook_message__isnull=False, channel="webhook"),
                name="delivery_for_notification_or_webhook_message",
            ),
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=Q(notification__isnull=False),
                name="delivery_one_per_notification_channel",
            ),
            models.UniqueConstraint(
                fields=["webhook_message", "endpoint"],
                condition=Q(webhook_message__isnull=False),
                name="delivery_one_per_webhook_endpoint",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "sending_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["channel", "status"]),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.id} {self.channel} ({self.status})"


class CalendarFeed(BaseModel):
    """A practitioner's secret iCalendar URL. Rotating replaces the token; revoking deletes the row."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_secret)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id}"
