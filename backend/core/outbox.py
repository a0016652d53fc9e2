"""Transactional outbox: enqueue Celery work atomically with the database change that causes it.

    outbox.enqueue("jobs.tasks.send_offer_task", offer_id=offer.id)

inside a transaction writes an OutboxMessage row; after commit the relay publishes it. If the
transaction rolls back, the row (and so the task) never existed. If the broker is down at commit,
the row stays unpublished and `relay_outbox_task` (beat) publishes it later. Nothing is lost; a
task may arrive twice, so tasks must be idempotent (STYLE.md).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backend.core.models import OutboxMessage

logger = logging.getLogger(__name__)
STRAGGLER_AGE = dt.timedelta(seconds=30)
RELAY_BATCH = 500


def enqueue(task: str, *, queue: str = "", **kwargs) -> OutboxMessage:
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs, queue=queue)
    transaction.on_commit(lambda: publish([message.id]))
    return message


def enqueue_many(task: str, kwargs_list: list[dict], *, queue: str = "") -> list[OutboxMessage]:
    """``enqueue`` for several messages of one task: one INSERT, and one publish call after commit."""
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=task, kwargs=kwargs, queue=queue) for kwargs in kwargs_list]
    )
    if messages:
        transaction.on_commit(lambda: publish([message.id for message in messages]))
    return messages


def _send(message: OutboxMessage) -> None:
    from backend.celery import app

    options = {"queue": message.queue} if message.queue else {}
    app.send_task(message.task, kwargs=message.kwargs, retry=False, **options)


def publish(message_ids: list[int]) -> int:
    """Publish the given unpublished messages; return how many went out. A broker error leaves
    that row and the rest of the batch for the sweep (one timeout, not one per message). Each row is claimed with a row lock (SKIP LOCKED) so two relays never send
    the same row at the same time."""
    sent = 0
    for message_id in message_ids:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(id=message_id, published_at__isnull=True)
                .first()
            )
            if message is None:
                continue
            try:
                _send(message)
            except Exception as exc:  # any broker/transport failure: leave it for the sweep
                logger.warning("outbox: could not publish %s (%s): %s", message.id, message.task, exc)
                OutboxMessage.objects.filter(id=message.id).update(
                    attempts=F("attempts") + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:300]
                )
                break
            OutboxMessage.objects.filter(id=message.id).update(
                published_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
            )
            sent += 1
    return sent


def relay_stragglers(*, older_than: dt.timedelta = STRAGGLER_AGE) -> int:
    """Publish every message still unpublished after `older_than` (beat sweep)."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxMessage.objects.filter(published_at__isnull=True, created_at__lte=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:RELAY_BATCH]
    )
    return publish(ids)
