"""SQL invariant queries: each returns the rows that break a rule, so an empty list is healthy."""

from __future__ import annotations

from django.db import connection

INVARIANTS = {
    "overfilled_shortfall": """
        SELECT s.id FROM jobs_shortfall s
        JOIN jobs_booking b ON b.shortfall_id = s.id AND b.status IN ('confirmed', 'completed')
        GROUP BY s.id, s.headcount HAVING COUNT(*) > s.headcount
    """,
    "overlapping_bookings": """
        SELECT a.id, b.id FROM jobs_booking a JOIN jobs_booking b
          ON a.practitioner_id = b.practitioner_id AND a.id < b.id
         AND a.status IN ('confirmed', 'completed') AND b.status IN ('confirmed', 'completed')
         AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
    """,
    "rest_under_11_hours": """
        SELECT a.id, b.id FROM jobs_booking a JOIN jobs_booking b
          ON a.practitioner_id = b.practitioner_id AND a.id <> b.id
         AND a.status IN ('confirmed', 'completed') AND b.status IN ('confirmed', 'completed')
         AND a.ends_at <= b.starts_at AND b.starts_at < a.ends_at + interval '11 hours'
    """,
    "booking_without_accepted_offer": """
        SELECT b.id FROM jobs_booking b LEFT JOIN jobs_offer o ON o.id = b.offer_id
        WHERE b.offer_id IS NOT NULL AND (o.status <> 'accepted' OR o.practitioner_id <> b.practitioner_id)
    """,
    "open_offer_on_filled_shortfall": """
        SELECT o.id FROM jobs_offer o JOIN jobs_shortfall s ON s.id = o.shortfall_id
        WHERE s.status IN ('filled', 'cancelled') AND o.status IN ('queued', 'sent', 'viewed')
    """,
}


def violations() -> dict[str, list[tuple]]:
    found = {}
    with connection.cursor() as cursor:
        for name, sql in INVARIANTS.items():
            cursor.execute(sql)
            found[name] = cursor.fetchall()
    return found


HEALTHY = {name: [] for name in INVARIANTS}
