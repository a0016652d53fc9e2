"""Writes for notifications: decide who hears what through which channel, and deliver it.

`notify` is the entry point other apps call inside their own transaction; it writes Notification
and Delivery rows and enqueues one `notifications.deliver` task per delivery through the outbox.
`deliver` is what that task runs: claim by conditional UPDATE, send outside any transaction, record.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from backend.core import outbox
from backend.core.errors import NotEligible, ValidationFailed
from notifications.channels import channel_for
from notifications.channels.base import PermanentDeliveryError, TransientDeliveryError
from notifications.channels.sms import phone_number_for
from notifications.models import (
    CalendarFeed,
    Delivery,
    Notification,
    NotificationPreference,
    TrustWebhookEndpoint,
    WebhookMessage,
)

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Channel = Delivery.Channel
Status = Delivery.Status

DELIVER_TASK = "notifications.deliver"
QUEUE = "notifications"
URGENT_WITHIN = dt.timedelta(hours=12)
# Kinds that may wait for the daily digest when not urgent (a reminder or a cancellation may not).
DIGESTIBLE_KINDS = frozenset({Kind.OFFER, Kind.OFFER_WITHDRAWN, Kind.CREDENTIAL_EXPIRING})
USER_CHANNELS = (Channel.EMAIL, Channel.SMS)
CREDENTIAL_REMINDER_DAYS = (30, 60, 90)
SWEEP_BATCH = 500


# --- deciding channels ---------------------------------------------------------------------------


def default_channels(*, kind: str, urgent: bool) -> list[str]:
    """In-app is always on (not listed). Email for everything; SMS for offers and anything urgent."""
    channels = [Channel.EMAIL.value]
    if kind == Kind.OFFER or urgent:
        channels.append(Channel.SMS.value)
    return channels


def preferences_for(user) -> NotificationPreference:
    """The user's saved preferences, or the defaults (unsaved)."""
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def is_quiet_time(*, preference: NotificationPreference, at: dt.datetime) -> bool:
    """Quiet hours are Europe/London wall-clock times; a window may cross midnight."""
    local = timezone.localtime(at).time()
    start, end = preference.quiet_hours_start, preference.quiet_hours_end
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _is_urgent_offer(*, kind: str, payload: dict, now: dt.datetime) -> bool:
    if kind != Kind.OFFER or not payload.get("starts_at"):
        return False
    try:
        starts_at = dt.datetime.fromisoformat(payload["starts_at"])
    except (TypeError, ValueError):
        return False
    if timezone.is_naive(starts_at):
        starts_at = starts_at.replace(tzinfo=dt.UTC)
    return starts_at - now <= URGENT_WITHIN


def _offer_rate_key(*, user_id: int, now: dt.datetime) -> str:
    return f"notify:rate:offer:{user_id}:{now:%Y%m%d%H}"


def take_offer_alert_slot(*, user_id: int, now: dt.datetime) -> bool:
    """Count one offer alert in this clock hour (Redis INCR, atomic across processes); False when the
    recipient has had their hourly allowance, so this one waits for the digest."""
    key = _offer_rate_key(user_id=user_id, now=now)
    cache.add(key, 0, timeout=3600 + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=3600 + 60)
        count = 1
    return count <= settings.NOTIFY_OFFER_ALERTS_PER_HOUR


def _check_offer_recipient(*, recipient, payload: dict) -> None:
    """Offers go only to the practitioner the offer was made to (matching decided eligibility)."""
    from jobs.models import Offer  # jobs -> notifications at import time; read-only here

    practitioner = getattr(recipient, "practitioner", None) if recipient.is_practitioner else None
    if practitioner is None or practitioner.status != practitioner.Status.ACTIVE:
        raise NotEligible("Offers go only to active practitioners.", extra={"recipient_id": recipient.id})
    offer_id = payload.get("offer_id")
    if offer_id is not None and not Offer.objects.filter(id=offer_id, practitioner=practitioner).exists():
        raise NotEligible(
            "This offer was not made to this practitioner.",
            extra={"recipient_id": recipient.id, "offer_id": offer_id},
        )


def _channels_for(*, recipient, kind: str, urgent: bool, preference: NotificationPreference) -> list[str]:
    wanted = preference.channels.get(kind) if preference.channels else None
    channels = list(wanted) if wanted is not None else default_channels(kind=kind, urgent=urgent)
    available = []
    for channel in channels:
        if channel == Channel.EMAIL and not recipient.email:
            continue
        if channel == Channel.SMS and not phone_number_for(recipient):
            continue
        if channel in USER_CHANNELS and channel not in available:
            available.append(channel)
    return available


# --- creating notifications ----------------------------------------------------------------------


def _enqueue_delivery(delivery: Delivery, *, now: dt.datetime) -> None:
    """Publish one deliver task after commit; enqueued_at tells the sweep a task is on its way."""
    Delivery.objects.filter(id=delivery.id).update(enqueued_at=now)
    outbox.enqueue(DELIVER_TASK, queue=QUEUE, delivery_id=delivery.id)


@transaction.atomic
def notify(
    *, recipient, kind: str, payload: dict, dedupe_key: str, urgent: bool = False
) -> Notification | None:
    """Tell one user something, once per dedupe_key. Returns the (new or existing) notification,
    or None for an inactive user. In-app always; email / SMS per preferences, quiet hours, the
    hourly offer allowance and the digest choice."""
    existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    if kind not in Kind.values:
        raise ValidationFailed(f"Unknown notification kind {kind!r}.", extra={"kind": kind})
    if not recipient.is_active:
        return None
    if kind == Kind.OFFER:
        _check_offer_recipient(recipient=recipient, payload=payload)

    now = timezone.now()
    urgent = urgent or _is_urgent_offer(kind=kind, payload=payload, now=now)
    preference = preferences_for(recipient)
    channels = _channels_for(recipient=recipient, kind=kind, urgent=urgent, preference=preference)
    digest_pending = False
    if not urgent and kind in preference.digest_kinds and kind in DIGESTIBLE_KINDS:
        digest_pending = True
    elif kind == Kind.OFFER and not urgent and channels:
        digest_pending = not take_offer_alert_slot(user_id=recipient.id, now=now)
    if digest_pending:
        channels = []
    if Channel.SMS in channels and not urgent and is_quiet_time(preference=preference, at=now):
        channels.remove(Channel.SMS)

    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                payload=payload,
                dedupe_key=dedupe_key,
                is_urgent=urgent,
                is_digest_pending=digest_pending,
            )
    except IntegrityError:  # a concurrent call with the same key committed first
        return Notification.objects.get(dedupe_key=dedupe_key)

    # In-app: the row is the inbox entry, delivered the moment it commits.
    Delivery.objects.create(
        notification=notification,
        channel=Channel.IN_APP,
        status=Status.SENT,
        sent_at=now,
        next_attempt_at=now,
    )
    for channel in channels:
        delivery = Delivery.objects.create(notification=notification, channel=channel, next_attempt_at=now)
        _enqueue_delivery(delivery, now=now)
    return notification


def notify_agency_staff(
    *, agency, kind: str, payload: dict, dedupe_key: str, urgent: bool | None = None
) -> list[Notification]:
    """Fan out to every active agency-staff user of `agency` (one dedupe key each).
    Safe-staffing alerts are urgent unless the caller says otherwise."""
    from backend.accounts.models import User

    if urgent is None:
        urgent = kind == Kind.SAFE_STAFFING_ALERT
    notifications = []
    with transaction.atomic():
        staff = User.objects.filter(kind=User.Kind.AGENCY_STAFF, agency=agency, is_active=True).order_by("id")
        for user in staff:
            notification = notify(
                recipient=user,
                kind=kind,
                payload=payload,
                dedupe_key=f"{dedupe_key}:user:{user.id}",
                urgent=urgent,
            )
            if notification is not None:
                notifications.append(notification)
    return notifications


@transaction.atomic
def notify_trust_webhook(*, trust, event: str, payload: dict, dedupe_key: str) -> WebhookMessage:
    """POST `event` to every active endpoint of `trust` that wants it, once per dedupe_key."""
    message, created = WebhookMessage.objects.get_or_create(
        dedupe_key=dedupe_key, defaults={"trust": trust, "event": event, "payload": payload}
    )
    if not created:
        return message
    now = timezone.now()
    for endpoint in TrustWebhookEndpoint.objects.filter(trust=trust, is_active=True).order_by("id"):
        if endpoint.wants(event):
            delivery = Delivery.objects.create(
                webhook_message=message, endpoint=endpoint, channel=Channel.WEBHOOK, next_attempt_at=now
            )
            _enqueue_delivery(delivery, now=now)
    return message


# --- delivering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str  # "sent", "failed", "retry" or "skipped" (someone else has it, or it is done)
    retry_in: int | None = None  # seconds until the sweep enqueues the next attempt


def retry_delay(attempt: int) -> int:
    """Exponential backoff with jitter: half the capped exponential delay fixed, half random, so
    a burst of failures does not come back as a burst."""
    ceiling = min(settings.NOTIFY_RETRY_MAX_SECONDS, settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    return max(1, int(ceiling / 2 + random.uniform(0, ceiling / 2)))


def _claim(*, delivery_id: int, now: dt.datetime) -> bool:
    return bool(
        Delivery.objects.filter(id=delivery_id, status=Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=Status.SENDING, attempts=F("attempts") + 1, sending_at=now, updated_at=now)
    )


# After the provider accepted a message and before PostgreSQL records it, the worker can die or the
# database can go away; the sweep would then send it again. The provider's answer is first noted in
# the cache (Redis in production) so that the retry records it instead of sending twice. Only a crash
# in the microseconds between the provider's answer and this note can still duplicate a message.
SENT_NOTE_SECONDS = 2 * 24 * 3600
RECORD_SENT_ATTEMPTS = 4


def _sent_note_key(delivery: Delivery) -> str:
    # The creation time as well as the id: a restored database that hands out an id again must not
    # meet an old note.
    return f"delivery-sent:{delivery.id}:{delivery.created_at.timestamp():.6f}"


def _note_sent(delivery: Delivery, provider_id: str) -> None:
    try:
        cache.set(_sent_note_key(delivery), provider_id or "-", timeout=SENT_NOTE_SECONDS)
    except Exception:  # the cache is down: fall back to at-least-once, never lose the send
        logger.warning("could not note delivery %s as sent in the cache", delivery.id, exc_info=True)


def _noted_sent(delivery: Delivery) -> str | None:
    try:
        return cache.get(_sent_note_key(delivery))
    except Exception:
        logger.warning("could not read the sent note of delivery %s", delivery.id, exc_info=True)
        return None


def deliver(*, delivery_id: int) -> DeliveryOutcome:
    """Send one delivery. Safe to run twice: only the caller whose conditional UPDATE moves the row
    queued -> sending sends; a duplicate gets "skipped". No transaction is held across the send.
    A delivery the provider already accepted (noted in the cache) is recorded, not sent again."""
    now = timezone.now()
    if not _claim(delivery_id=delivery_id, now=now):
        return DeliveryOutcome("skipped")
    delivery = Delivery.objects.select_related("notification__recipient", "webhook_message", "endpoint").get(
        id=delivery_id
    )
    noted = _noted_sent(delivery)
    if noted is not None:
        _record_sent_despite_outage(delivery=delivery, provider_id="" if noted == "-" else noted)
        return DeliveryOutcome("sent")
    try:
        provider_id = channel_for(delivery.channel).send(delivery)
    except PermanentDeliveryError as exc:
        _record_failure(delivery=delivery, error=str(exc))
        return DeliveryOutcome("failed")
    except TransientDeliveryError as exc:
        return _record_transient(delivery=delivery, error=str(exc))
    except Exception as exc:  # a bug (template, data): retry like a transient error, but say so loudly
        logger.exception("delivery %s raised unexpectedly", delivery_id)
        return _record_transient(delivery=delivery, error=f"{exc.__class__.__name__}: {exc}")
    _note_sent(delivery, provider_id)
    _record_sent_despite_outage(delivery=delivery, provider_id=provider_id)
    return DeliveryOutcome("sent")


def _record_sent_despite_outage(*, delivery: Delivery, provider_id: str) -> None:
    """Record a send, retrying briefly through a database restart (each retry on a new
    connection); if the database stays away, the sweep's retry finds the cache note."""
    for attempt in range(RECORD_SENT_ATTEMPTS):
        try:
            _record_sent(delivery=delivery, provider_id=provider_id)
            return
        except (OperationalError, InterfaceError):
            if attempt == RECORD_SENT_ATTEMPTS - 1:
                raise
            connection.close()
            time.sleep(0.5 * 2**attempt)


def _record_sent(*, delivery: Delivery, provider_id: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(id=delivery.id, status=Status.SENDING).update(
            status=Status.SENT,
            sent_at=now,
            provider_message_id=provider_id[:200],
            last_error="",
            updated_at=now,
        )
        if delivery.endpoint_id:
            TrustWebhookEndpoint.objects.filter(id=delivery.endpoint_id).update(consecutive_failures=0)


def _record_transient(*, delivery: Delivery, error: str) -> DeliveryOutcome:
    if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        _record_failure(delivery=delivery, error=f"gave up after {delivery.attempts} attempts: {error}")
        return DeliveryOutcome("failed")
    now = timezone.now()
    delay = retry_delay(delivery.attempts)
    Delivery.objects.filter(id=delivery.id, status=Status.SENDING).update(
        status=Status.QUEUED,
        next_attempt_at=now + dt.timedelta(seconds=delay),
        last_error=error[:500],
        updated_at=now,
    )
    return DeliveryOutcome("retry", retry_in=delay)


@transaction.atomic
def _record_failure(*, delivery: Delivery, error: str) -> None:
    now = timezone.now()
    Delivery.objects.filter(id=delivery.id, status=Status.SENDING).update(
        status=Status.FAILED, failed_at=now, last_error=error[:500], updated_at=now
    )
    if delivery.endpoint_id:
        _count_endpoint_failure(endpoint_id=delivery.endpoint_id, error=error)


def _count_endpoint_failure(*, endpoint_id: int, error: str) -> None:
    endpoint = TrustWebhookEndpoint.objects.select_for_update().select_related("trust").get(id=endpoint_id)
    endpoint.consecutive_failures += 1
    fields = ["consecutive_failures", "updated_at"]
    should_disable = (
        endpoint.is_active and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES
    )
    if should_disable:
        endpoint.is_active = False
        endpoint.disabled_at = timezone.now()
        endpoint.disabled_reason = error[:300]
        fields += ["is_active", "disabled_at", "disabled_reason"]
    endpoint.save(update_fields=fields)
    if should_disable:
        notify_agency_staff(
            agency=endpoint.trust.agency,
            kind=Kind.WEBHOOK_ENDPOINT_DISABLED,
            payload={
                "endpoint_id": endpoint.id,
                "url": endpoint.url,
                "trust": endpoint.trust.name,
                "failures": endpoint.consecutive_failures,
                "last_error": error[:300],
            },
            dedupe_key=f"webhook_endpoint_disabled:{endpoint.id}:{endpoint.disabled_at.isoformat()}",
            urgent=False,
        )


def sweep_stuck_deliveries(*, now: dt.datetime | None = None) -> int:
    """The beat sweep behind every retry and every lost task. Enqueues (through the outbox):
    - queued deliveries whose backoff has passed since they were last enqueued (retries);
    - queued deliveries enqueued long ago and never claimed (the task was lost);
    - deliveries stuck in `sending` (the worker died mid-send), or fails them when out of attempts.
    Returns how many were enqueued. Duplicates are harmless: the claim lets one through."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.NOTIFY_STUCK_AFTER_SECONDS)
    enqueued = 0
    with transaction.atomic():
        stuck = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SENDING, sending_at__lt=cutoff)
            .order_by("id")[:SWEEP_BATCH]
        )
        for delivery in stuck:
            if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                Delivery.objects.filter(id=delivery.id, status=Status.SENDING).update(
                    status=Status.FAILED,
                    failed_at=now,
                    last_error="stuck in sending; out of attempts",
                    updated_at=now,
                )
                if delivery.endpoint_id:
                    _count_endpoint_failure(endpoint_id=delivery.endpoint_id, error="stuck in sending")
                continue
            Delivery.objects.filter(id=delivery.id, status=Status.SENDING).update(
                status=Status.QUEUED,
                next_attempt_at=now,
                last_error="stuck in sending; requeued",
                updated_at=now,
            )
            _enqueue_delivery(delivery, now=now)
            enqueued += 1
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=Status.QUEUED, next_attempt_at__lte=now)
            .filter(
                Q(enqueued_at__isnull=True)
                | Q(enqueued_at__lt=F("next_attempt_at"))
                | Q(enqueued_at__lt=cutoff)
            )
            .order_by("next_attempt_at", "id")[:SWEEP_BATCH]
        )
        for delivery in due:
            _enqueue_delivery(delivery, now=now)
            enqueued += 1
    return enqueued


# --- digests and reminders -----------------------------------------------------------------------


def _digest_item(notification: Notification) -> dict:
    payload = notification.payload or {}
    keys = ("ward", "trust", "starts_at", "ends_at", "credential_type", "expires_on")
    return {
        "kind": notification.kind,
        "notification_id": notification.id,
        **{k: payload[k] for k in keys if k in payload},
    }


def send_daily_digests(*, now: dt.datetime | None = None) -> int:
    """One digest per recipient with notifications folded since the last one. Returns how many."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    recipient_ids = (
        Notification.objects.filter(is_digest_pending=True, digested_in__isnull=True)
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )
    sent = 0
    for recipient_id in list(recipient_ids):
        with transaction.atomic():
            pending = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(recipient_id=recipient_id, is_digest_pending=True, digested_in__isnull=True)
                .select_related("recipient")
                .order_by("created_at", "id")
            )
            if not pending:
                continue
            recipient = pending[0].recipient
            items = [_digest_item(n) for n in pending]
            digest = Notification.objects.create(
                recipient=recipient,
                kind=Kind.DAILY_DIGEST,
                payload={"date": today.isoformat(), "count": len(items), "items": items},
                dedupe_key=f"daily_digest:{recipient.id}:{today.isoformat()}:{pending[0].id}",
            )
            Notification.objects.filter(id__in=[n.id for n in pending]).update(
                digested_in=digest, is_digest_pending=False, updated_at=now
            )
            if recipient.email and recipient.is_active:
                delivery = Delivery.objects.create(
                    notification=digest, channel=Channel.EMAIL, next_attempt_at=now
                )
                _enqueue_delivery(delivery, now=now)
            sent += 1
    return sent


def remind_credentials_expiring(*, today: dt.date | None = None) -> int:
    """Tell practitioners about credentials expiring within 90, 60 and 30 days: one reminder per
    threshold (a missed day still sends it the next day; the dedupe key stops repeats)."""
    from backend.practitioners.models import Credential

    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=max(CREDENTIAL_REMINDER_DAYS))
    credentials = (
        Credential.objects.filter(
            expires_on__gt=today,
            expires_on__lte=horizon,
            practitioner__status="active",
            practitioner__user__is_active=True,
        )
        .select_related("credential_type", "practitioner__user")
        .order_by("id")
    )
    created = 0
    for credential in credentials.iterator(chunk_size=500):
        days_left = (credential.expires_on - today).days
        threshold = min(days for days in CREDENTIAL_REMINDER_DAYS if days >= days_left)
        key = f"credential_expiring:{credential.id}:{credential.expires_on.isoformat()}:{threshold}"
        if Notification.objects.filter(dedupe_key=key).exists():
            continue
        notify(
            recipient=credential.practitioner.user,
            kind=Kind.CREDENTIAL_EXPIRING,
            payload={
                "credential_id": credential.id,
                "credential_type": credential.credential_type.name,
                "expires_on": credential.expires_on.isoformat(),
                "days_left": days_left,
            },
            dedupe_key=key,
        )
        created += 1
    return created


# --- inbox, preferences, calendar --------------------------------------------------------------


def mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(id=notification.id, read_at__isnull=True).update(
            read_at=now, updated_at=now
        )
        notification.refresh_from_db(fields=["read_at", "updated_at"])
    return notification


def mark_all_read(*, user) -> int:
    now = timezone.now()
    return (
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .exclude(kind=Kind.DAILY_DIGEST)
        .update(read_at=now, updated_at=now)
    )


@transaction.atomic
def set_preferences(
    *, user, channels: dict, quiet_hours_start: dt.time, quiet_hours_end: dt.time, digest_kinds: list[str]
) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={
            "channels": channels,
            "quiet_hours_start": quiet_hours_start,
            "quiet_hours_end": quiet_hours_end,
            "digest_kinds": digest_kinds,
        },
    )
    return preference


@transaction.atomic
def rotate_calendar_token(*, user) -> CalendarFeed:
    """Issue a new secret feed URL; the old one stops working at once."""
    feed, _ = CalendarFeed.objects.update_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
    return feed


@transaction.atomic
def revoke_calendar_token(*, user) -> None:
    CalendarFeed.objects.filter(user=user).delete()


@transaction.atomic
def create_webhook_endpoint(*, trust, url: str, events: list[str]) -> TrustWebhookEndpoint:
    return TrustWebhookEndpoint.objects.create(
        trust=trust, url=url, events=events, secret=secrets.token_urlsafe(32)
    )


@transaction.atomic
def update_webhook_endpoint(*, endpoint: TrustWebhookEndpoint, fields: dict) -> TrustWebhookEndpoint:
    """Re-enabling an endpoint clears its failure count."""
    for name in ("url", "events"):
        if name in fields:
            setattr(endpoint, name, fields[name])
    if fields.get("is_active") and not endpoint.is_active:
        endpoint.is_active = True
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
    elif fields.get("is_active") is False:
        endpoint.is_active = False
    endpoint.save()
    return endpoint
