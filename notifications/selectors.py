"""Reads, scoped to the caller: anything outside the returned querysets is a 404."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from notifications.models import CalendarFeed, Delivery, Notification, TrustWebhookEndpoint

CALENDAR_HISTORY = dt.timedelta(days=90)


def notifications_for(user) -> QuerySet[Notification]:
    """The user's own inbox. Digests are a summary email of what the inbox already holds."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).exclude(kind=Notification.Kind.DAILY_DIGEST)


def unread_count(user) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()


def deliveries_for(user) -> QuerySet[Delivery]:
    """Agency staff trace deliveries to their agency's practitioners and staff, to the staff of
    their agency's trusts, and to those trusts' webhook endpoints."""
    if not user.is_authenticated or not user.is_agency_staff:
        return Delivery.objects.none()
    agency_id = user.agency_id
    return Delivery.objects.filter(
        Q(notification__recipient__practitioner__agency_id=agency_id)
        | Q(notification__recipient__agency_id=agency_id)
        | Q(notification__recipient__trust__agency_id=agency_id)
        | Q(webhook_message__trust__agency_id=agency_id)
    ).select_related("notification", "webhook_message")


def webhook_endpoints_for(user) -> QuerySet[TrustWebhookEndpoint]:
    if not user.is_authenticated or not user.is_agency_staff:
        return TrustWebhookEndpoint.objects.none()
    return TrustWebhookEndpoint.objects.filter(trust__agency_id=user.agency_id)


def calendar_feed_for(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def calendar_bookings(*, token: str):
    """The bookings behind a feed token (None for an unknown or revoked token): the last 90 days
    and everything ahead, cancelled ones included so calendars drop them."""
    from jobs.models import Booking

    feed = CalendarFeed.objects.select_related("user__practitioner").filter(token=token).first()
    if feed is None or not feed.user.is_active or not hasattr(feed.user, "practitioner"):
        return None
    return (
        Booking.objects.filter(
            practitioner=feed.user.practitioner, ends_at__gte=timezone.now() - CALENDAR_HISTORY
        )
        .select_related("shortfall__ward__site", "shortfall__trust", "shortfall__role")
        .order_by("starts_at", "id")
    )
