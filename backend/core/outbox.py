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
import threading
from collections.abc import Iterable
from contextlib import ExitStack

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from backend.core.models import OutboxMessage

logger = logging.getLogger(__name__)
STRAGGLER_AGE = dt.timedelta(seconds=30)
RELAY_BATCH = 500
PUBLISH_CHUNK = 50


def enqueue(task: str, *, queue: str = "", **kwargs) -> OutboxMessage:
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs, queue=queue)
    _publish_after_commit([message.id])
    return message


def enqueue_many(messages: Iterable[tuple[str, str, dict]]) -> list[OutboxMessage]:
    """``enqueue`` for several messages, each (task, queue, kwargs), in one INSERT."""
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=task, queue=queue, kwargs=kwargs) for task, queue, kwargs in messages]
    )
    _publish_after_commit([message.id for message in messages])
    return messages


# The messages of one transaction are published together, in one batch, by whichever of its commit
# hooks runs first (the rest find nothing left): a request that enqueues five messages pays for one
# relay transaction, not five. Per thread, as connections are. An id whose row was rolled back with
# a savepoint, or whose transaction rolled back, is simply not found by publish().
_pending = threading.local()


def _publish_after_commit(message_ids: list[int]) -> None:
    if not message_ids:
        return
    if not hasattr(_pending, "ids"):
        _pending.ids = []
    _pending.ids.extend(message_ids)
    transaction.on_commit(_publish_pending)


def _publish_pending() -> None:
    message_ids, _pending.ids = getattr(_pending, "ids", []), []
    if message_ids:
        publish(message_ids)


# The broker producer of the batch publish() is sending, taken on the first send and given back when
# the batch ends (one pool checkout per batch instead of one per message).
_batch = threading.local()


def _batch_producer(app):  # type: ignore[no-untyped-def]
    stack = getattr(_batch, "stack", None)
    if stack is None:
        return None
    if _batch.producer is None:
        _batch.producer = stack.enter_context(app.producer_or_acquire())
    return _batch.producer


def _send(message: OutboxMessage) -> None:
    from backend.celery import app

    options = {"queue": message.queue} if message.queue else {}
    app.send_task(message.task, kwargs=message.kwargs, retry=False, producer=_batch_producer(app), **options)


def publish(message_ids: list[int]) -> int:
    """Publish the given unpublished messages; return how many went out."""
    sent, _ = _publish(message_ids)
    return sent


def _publish(message_ids: list[int]) -> tuple[int, bool]:
    """(how many went out, whether the broker failed). The batch is claimed with row locks (SKIP
    LOCKED) so two relays never send the same row at the same time, and the sent ones are marked in
    one UPDATE. A broker error leaves that row and the rest of the batch for the sweep, each with
    the attempt and the error noted (one timeout, not one per message). If the process dies
    between a send and the mark, the sweep sends those again: tasks are idempotent."""
    sent: list[int] = []
    failed = False
    with transaction.atomic(), ExitStack() as producing:
        if connection.vendor == "postgresql":
            # Marking rows sent need not wait for the WAL flush: if a crash loses the mark, the
            # sweep sends those messages again (tasks are idempotent). The caller's own transaction,
            # the one that wrote the messages, committed durably before this runs.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        messages = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(id__in=message_ids, published_at__isnull=True)
            .order_by("id")
        )
        claimed = list(messages)
        _batch.stack, _batch.producer = producing, None
        try:
            for position, message in enumerate(claimed):
                try:
                    _send(message)
                except Exception as exc:  # any broker/transport failure: this and the rest wait
                    logger.warning("outbox: could not publish %s (%s): %s", message.id, message.task, exc)
                    OutboxMessage.objects.filter(id__in=[m.id for m in claimed[position:]]).update(
                        attempts=F("attempts") + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:300]
                    )
                    failed = True
                    break
                sent.append(message.id)
        finally:
            _batch.stack = _batch.producer = None
        if sent:
            OutboxMessage.objects.filter(id__in=sent).update(
                published_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
            )
    return len(sent), failed


def relay_stragglers(*, older_than: dt.timedelta = STRAGGLER_AGE) -> int:
    """Publish every message still unpublished after `older_than` (beat sweep)."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxMessage.objects.filter(published_at__isnull=True, created_at__lte=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:RELAY_BATCH]
    )
    sent = 0
    for start in range(0, len(ids), PUBLISH_CHUNK):  # a crash re-sends at most one chunk
        published, failed = _publish(ids[start : start + PUBLISH_CHUNK])
        sent += published
        if failed:  # one broker timeout per sweep, not one per chunk
            break
    return sent
