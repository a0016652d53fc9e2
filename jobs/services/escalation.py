"""Agency staff escalate an unfilled shortfall by hand from the urgent queue."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from jobs.models import Shortfall
from jobs.services.cascade import broaden_shortfall, raise_safe_staffing_alert


@transaction.atomic
def escalate_shortfall(*, shortfall: Shortfall, by: User, now: dt.datetime | None = None) -> Shortfall:
    """Skip the cascade's waiting: every practitioner still eligible is offered the shift at the next
    sweep (now), and agency staff get the safe-staffing alert once. A closed shortfall is refused
    (ShortfallClosed) by broaden_shortfall, which does the rescheduling."""
    shortfall = broaden_shortfall(shortfall=shortfall, by=by)
    raise_safe_staffing_alert(shortfall=shortfall, now=now or timezone.now())
    shortfall.refresh_from_db()
    return shortfall
