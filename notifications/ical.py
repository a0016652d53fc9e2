"""A small RFC 5545 writer for the bookings feed: Europe/London local times with a VTIMEZONE,
escaped text, lines folded at 75 octets, CRLF endings. Cancelled bookings stay in the feed with
STATUS:CANCELLED and a higher SEQUENCE so subscribed calendars update them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

_VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/London",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "TZNAME:BST",
    "DTSTART:19700329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "TZNAME:GMT",
    "DTSTART:19701025T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets, never inside a UTF-8 character."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current, limit = [], b"", 75
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > limit:
            parts.append(current.decode())
            current, limit = b"", 74  # continuation lines start with a space
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _local(value: dt.datetime) -> str:
    return value.astimezone(LONDON).strftime("%Y%m%dT%H%M%S")


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def booking_calendar(*, bookings, domain: str, name: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Staffing Match//Bookings//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
        "X-WR-TIMEZONE:Europe/London",
        *_VTIMEZONE,
    ]
    for booking in bookings:
        shortfall = booking.shortfall
        ward = shortfall.ward
        is_cancelled = booking.status.startswith("cancelled")
        lines += [
            "BEGIN:VEVENT",
            f"UID:booking-{booking.id}@{domain}",
            f"DTSTAMP:{_utc(booking.updated_at)}",
            f"LAST-MODIFIED:{_utc(booking.updated_at)}",
            f"SEQUENCE:{1 if is_cancelled else 0}",
            f"DTSTART;TZID=Europe/London:{_local(booking.starts_at)}",
            f"DTEND;TZID=Europe/London:{_local(booking.ends_at)}",
            f"SUMMARY:{escape(f'{shortfall.role.name} shift - {ward.name}')}",
            f"LOCATION:{escape(f'{ward.name}, {ward.site.name}, {shortfall.trust.name}')}",
            f"DESCRIPTION:{escape(f'Booking {booking.id} ({booking.get_status_display()})')}",
            f"STATUS:{'CANCELLED' if is_cancelled else 'CONFIRMED'}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
