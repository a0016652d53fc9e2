"""The simulated clock. Every service reads the time through `django.utils.timezone.now` (directly,
through `localtime()` or through `auto_now` fields), so pinning that one function moves the whole
platform onto simulated time; nothing else in the code path reads the wall clock."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone


class SimClock:
    """Simulated UTC time; only moves forward."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs an aware start time")
        self._now = start.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def advance_to(self, moment: dt.datetime) -> None:
        if moment < self._now:
            raise ValueError(f"the clock cannot go back from {self._now} to {moment}")
        self._now = moment


@contextlib.contextmanager
def pinned(clock: SimClock) -> Iterator[SimClock]:
    """Within the block, `timezone.now()` (and so every service) answers the simulated time."""
    real_now = timezone.now
    timezone.now = clock.now
    try:
        yield clock
    finally:
        timezone.now = real_now
