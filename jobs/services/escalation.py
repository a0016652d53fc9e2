"""Agency staff escalate an unfilled shortfall by hand from the urgent queue."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.core import outbox
from backend.core.errors import ShortfallClosed
from jobs.models import Shortfall
from jobs.services.cascade import TOP_K, raise_safe_staffing_alert


@transaction.atomic
def escalate_shortfall(*, shortfall: Shortfall, by: User, now: dt.datetime | None = None) -> Shortfall:
    """Skip the cascade's waiting: the next sweep (enqueued now) sends the last wave, every
    practitioner still eligible and not yet offered, and agency staff get the safe-staffing alert
    once. Holds already given stand until they lapse. Safe to repeat."""
    now = now or timezone.now()
    shortfall = Shortfall.objects.select_for_update(of=("self",)).get(id=shortfall.id)
    if not shortfall.is_open:
        raise ShortfallClosed(extra={"shortfall_id": shortfall.id, "status": shortfall.status})
    # The sweep sends wave + 1: from TOP_K that is the everyone wave, exactly once.
    Shortfall.objects.filter(id=shortfall.id).update(
        wave=max(shortfall.wave, TOP_K), next_wave_at=now, updated_at=now
    )
    outbox.enqueue("jobs.advance_cascades", queue="offers")
    raise_safe_staffing_alert(shortfall=shortfall, now=now)
    shortfall.refresh_from_db()
    return shortfall
