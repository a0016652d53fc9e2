"""Celery tasks: take ids, call one service, own only the retry policy."""

from __future__ import annotations

from celery import shared_task

from notifications import services


# Retry policy: a transient failure puts the delivery back to `queued` with a backoff in
# next_attempt_at (services.deliver), and the beat sweep enqueues it when due. No Celery countdowns:
# the broker's visibility timeout is short, and a countdown longer than it would be redelivered.
# Every outbound call's timeout is below this task's soft limit; a delivery killed mid-send stays
# in `sending` and the sweep picks it up.
@shared_task(name="notifications.deliver", bind=True, acks_late=True, ignore_result=True)
def deliver_task(self, delivery_id: int) -> str:
    return services.deliver(delivery_id=delivery_id).status


# Sweeps are acknowledged on receipt (a lost sweep is simply the next beat) and may run longer.
@shared_task(
    name="notifications.sweep_stuck_deliveries",
    acks_late=False,
    time_limit=120,
    soft_time_limit=100,
    ignore_result=True,
)
def sweep_stuck_deliveries_task() -> int:
    return services.sweep_stuck_deliveries()


@shared_task(
    name="notifications.send_daily_digests",
    acks_late=False,
    time_limit=600,
    soft_time_limit=540,
    ignore_result=True,
)
def send_daily_digests_task() -> int:
    return services.send_daily_digests()


@shared_task(
    name="notifications.remind_credentials_expiring",
    acks_late=False,
    time_limit=600,
    soft_time_limit=540,
    ignore_result=True,
)
def remind_credentials_expiring_task() -> int:
    return services.remind_credentials_expiring()
