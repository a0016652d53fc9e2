from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from jobs.analytics import rollups

# The nightly rebuild covers the recent past (bookings completed, no-shows recorded, continuity
# of the next fills) and the posted future (shifts are posted up to a few weeks ahead).
RECENT_DAYS_BACK = 35
RECENT_DAYS_AHEAD = 42


@shared_task(name="analytics.refresh_day", ignore_result=True, acks_late=True)
def refresh_day_task(trust_id: int, day: str) -> None:
    rollups.refresh_day(trust_id=trust_id, day=dt.date.fromisoformat(day))


# Long: acknowledged on receipt (acks_late off), so the short broker visibility timeout cannot
# redeliver it mid-run; a lost run is simply redone by the next night's.
@shared_task(
    name="analytics.rebuild_recent_rollups",
    ignore_result=True,
    acks_late=False,
    time_limit=3000,
    soft_time_limit=2900,
)
def rebuild_recent_rollups_task(
    days_back: int = RECENT_DAYS_BACK, days_ahead: int = RECENT_DAYS_AHEAD
) -> int:
    today = timezone.localdate()
    result = rollups.rebuild_range(
        start=today - dt.timedelta(days=days_back), end=today + dt.timedelta(days=days_ahead)
    )
    return result.shortfalls
