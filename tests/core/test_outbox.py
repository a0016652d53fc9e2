"""The transactional outbox against the real Redis broker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from backend.celery import app
from backend.core import outbox
from backend.core.models import OutboxMessage


@pytest.fixture
def broker_queue():
    """The Redis list behind a scratch queue, emptied before and after."""
    name = "outbox-test"
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        client.delete(name)
        yield lambda: client.llen(name)
        client.delete(name)


@pytest.mark.django_db(transaction=True)
def test_message_is_published_after_commit(broker_queue):
    with transaction.atomic():
        message = outbox.enqueue("core.relay_outbox", queue="outbox-test")
        assert broker_queue() == 0  # nothing leaves before commit

    message.refresh_from_db()
    assert message.published_at is not None
    assert broker_queue() == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_sends_nothing(broker_queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue("core.relay_outbox", queue="outbox-test")
        raise RuntimeError("the change failed")

    assert OutboxMessage.objects.count() == 0
    assert broker_queue() == 0


@pytest.mark.django_db(transaction=True)
def test_broker_outage_leaves_the_row_and_the_sweep_publishes_it_once(broker_queue, monkeypatch):
    def broker_down(message):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    real_send = outbox._send
    monkeypatch.setattr(outbox, "_send", broker_down)  # the outside world fails; the rest is real
    with transaction.atomic():
        message = outbox.enqueue("core.relay_outbox", queue="outbox-test")
    message.refresh_from_db()
    assert (message.published_at, message.attempts) == (None, 1)
    assert "Error" in message.last_error

    monkeypatch.setattr(outbox, "_send", real_send)
    OutboxMessage.objects.filter(id=message.id).update(created_at=timezone.now() - dt.timedelta(minutes=1))
    first_sweep, second_sweep = outbox.relay_stragglers(), outbox.relay_stragglers()

    message.refresh_from_db()
    assert (first_sweep, second_sweep) == (1, 0)
    assert message.published_at is not None
    assert broker_queue() == 1


@pytest.mark.django_db(transaction=True)
def test_a_transactions_messages_go_out_in_one_relay_batch_and_a_rolled_back_savepoints_do_not(
    broker_queue,
):
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        first = outbox.enqueue("core.relay_outbox", queue="outbox-test")
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox.enqueue("core.relay_outbox", queue="outbox-test")
            raise RuntimeError("this part failed")
        rest = outbox.enqueue_many([("core.relay_outbox", "outbox-test", {})] * 2)

    claims = [q for q in queries if "FOR UPDATE" in q["sql"] and "core_outboxmessage" in q["sql"]]
    published = set(OutboxMessage.objects.filter(published_at__isnull=False).values_list("id", flat=True))
    assert len(claims) == 1
    assert published == {first.id, *(m.id for m in rest)}
    assert OutboxMessage.objects.count() == 3
    assert broker_queue() == 3


@pytest.mark.django_db(transaction=True)
def test_the_sweep_publishes_every_straggler_chunk_by_chunk(broker_queue):
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(task="core.relay_outbox", queue="outbox-test", kwargs={}) for _ in range(120)]
    )
    OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(minutes=1))

    swept = outbox.relay_stragglers()

    assert swept == 120
    assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()
    assert broker_queue() == 120
