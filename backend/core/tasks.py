from __future__ import annotations

from celery import shared_task

from backend.core import idempotency, outbox


@shared_task(name="core.relay_outbox", ignore_result=True)
def relay_outbox_task() -> int:
    return outbox.relay_stragglers()


# A sweep: acknowledged on receipt (a lost run is redone by the next tick) and allowed longer than
# the default message-task time limit.
@shared_task(
    name="core.purge_idempotency_records",
    ignore_result=True,
    acks_late=False,
    time_limit=300,
    soft_time_limit=270,
)
def purge_idempotency_records_task() -> int:
    return idempotency.purge_idempotency_records()
