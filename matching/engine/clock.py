"""Time handling: the engine compares whole UTC epoch seconds, and shows Europe/London to people.

Whole seconds held in float64 are exact (well below 2**53), so the rest and weekly-hours rules
are exact at their boundaries in both the scalar and the numpy paths, and +/-inf can stand for
"never expires" / "not held".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
HOUR = 3600
DAY = 86400
WEEK = 168 * HOUR


def epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: the engine needs aware datetimes")
    return int(moment.timestamp())


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def local_text(moment: datetime | float) -> str:
    """'2026-12-01 20:00' in Europe/London, as staff read rotas."""
    if not isinstance(moment, datetime):
        moment = from_epoch(moment)
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def local_date_text(moment: datetime | float) -> str:
    if not isinstance(moment, datetime):
        moment = from_epoch(moment)
    return moment.astimezone(LONDON).strftime("%Y-%m-%d")


def duration_text(seconds: float) -> str:
    """9 h 30 m (never rounds a shortfall of rest up to the limit)."""
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} m" if minutes else f"{hours} h"


def is_night_shift(start: datetime) -> bool:
    """A shift starting 18:00-05:59 London time is a night shift."""
    hour = start.astimezone(LONDON).hour
    return hour >= 18 or hour < 6


def parse_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without a zone: {text!r}")
    return moment.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_shift(day: date, start: time, hours: float) -> tuple[datetime, datetime]:
    """A rota shift in UTC: starts at local ``start`` on ``day`` and ends at the local wall-clock time
    ``hours`` later, as e-rosters write it (20:00-08:00), so a night across a clock change is 13 h or 11 h."""
    local_start = datetime.combine(day, start, tzinfo=LONDON)
    local_end = (datetime.combine(day, start) + timedelta(hours=hours)).replace(tzinfo=LONDON)
    return local_start.astimezone(UTC), local_end.astimezone(UTC)
