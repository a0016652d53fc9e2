from __future__ import annotations

from celery import shared_task

from backend.core import outbox


@shared_task(name="core.relay_outbox", ignore_result=True)
def relay_outbox_task() -> int:
    return outbox.relay_stragglers()
