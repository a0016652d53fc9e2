"""Roles for you, per request, in two statements (PostgreSQL).

A practitioner must never be shown a shift they cannot take, so roles for you loads the caller
fresh on every request. The general adapter (``candidates.load_practitioners``) reads one query per
related table, ~20 ms of ORM work for one person; here every related table comes back as arrays
from LATERAL subqueries of one statement, and the open shifts with their desired competences from
a second. Both build the engine inputs with the adapter's own functions (``to_engine_practitioner``,
``engine_shortfall``). Other databases (the SQLite demo) use the general adapter; a property test
keeps the two paths equal.
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from collections import namedtuple
from dataclasses import dataclass

from django.db import connection

from backend.practitioners.models import PractitionerListing
from jobs.models import ACTIVE_BOOKING_STATUSES, Booking
from jobs.models import Shortfall as ShortfallModel
from matching import candidates as adapter
from matching.engine import model as engine


def is_available() -> bool:
    return connection.vendor == "postgresql"


# Both statements are planned once per database session (PREPARE), not on every request: planning
# the LATERAL statement took 0.7 ms against 0.3 ms to run it.
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # raw connection -> names
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _fetch_prepared(name: str, sql: str, params: dict) -> list[tuple]:
    """Run ``sql`` (with %(name)s placeholders) as a prepared statement of this session."""
    order: list[str] = []

    def positional(match: re.Match) -> str:
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    body = _PLACEHOLDER.sub(positional, sql)
    connection.ensure_connection()
    names = _prepared.setdefault(connection.connection, set())
    with connection.cursor() as cursor:
        if name not in names:
            cursor.execute(f"PREPARE {name} AS {body}")
            names.add(name)
        cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(order))})", [params[key] for key in order])
        return cursor.fetchall()


_PRACTITIONER_SQL = """
SELECT p.id, r.code, p.band, p.gender, p.home_latitude, p.home_longitude, p.travel_radius_km,
       p.opted_out_of_weekly_cap, p.status, p.registration_body, p.registration_expires_on,
       p.hourly_rate, p.shift_preference,
       cr.codes, cr.expiries,
       (SELECT array_agg(c.code) FROM practitioners_practitioner_competences x
          JOIN organisations_competence c ON c.id = x.competence_id WHERE x.practitioner_id = p.id),
       (SELECT array_agg(s.code) FROM practitioners_practitioner_settings_experience x
          JOIN organisations_setting s ON s.id = x.setting_id WHERE x.practitioner_id = p.id),
       (SELECT array_agg(s.code) FROM practitioners_practitioner_preferred_settings x
          JOIN organisations_setting s ON s.id = x.setting_id WHERE x.practitioner_id = p.id),
       dnb.trusts, dnb.wards,
       bk.starts, bk.ends, bk.shortfalls,
       hi.wards, hi.shifts, hi.last_worked, hi.ratings,
       fb.n, fb.mean,
       rel.completed, rel.late, rel.no_shows
FROM practitioners_practitioner p
JOIN organisations_role r ON r.id = p.role_id
LEFT JOIN LATERAL (
    SELECT array_agg(t.code) AS codes, array_agg(c.expires_on) AS expiries
    FROM practitioners_credential c JOIN organisations_credentialtype t ON t.id = c.credential_type_id
    WHERE c.practitioner_id = p.id AND c.verified_at IS NOT NULL) cr ON true
LEFT JOIN LATERAL (
    SELECT array_agg(l.trust_id) AS trusts, array_agg(l.ward_id) AS wards
    FROM practitioners_practitionerlisting l
    WHERE l.practitioner_id = p.id AND l.kind = %(do_not_book)s
      AND (l.expires_at IS NULL OR l.expires_at > %(now)s)) dnb ON true
LEFT JOIN LATERAL (
    SELECT array_agg(b.starts_at) AS starts, array_agg(b.ends_at) AS ends,
           array_agg(b.shortfall_id) AS shortfalls
    FROM jobs_booking b
    WHERE b.practitioner_id = p.id AND b.status = ANY(%(active)s) AND b.ends_at > %(since)s) bk ON true
LEFT JOIN LATERAL (
    SELECT array_agg(w.ward_id) AS wards, array_agg(w.shifts_worked) AS shifts,
           array_agg(w.last_worked_at) AS last_worked, array_agg(w.last_rating) AS ratings
    FROM practitioners_wardexperience w WHERE w.practitioner_id = p.id) hi ON true
LEFT JOIN LATERAL (
    SELECT count(f.id) AS n, avg(f.rating) AS mean
    FROM jobs_trustfeedback f JOIN jobs_booking b ON b.id = f.booking_id
    WHERE b.practitioner_id = p.id) fb ON true
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE b.status = %(completed)s) AS completed,
           count(*) FILTER (WHERE b.is_late_cancellation) AS late,
           count(*) FILTER (WHERE b.status = %(no_show)s) AS no_shows
    FROM jobs_booking b WHERE b.practitioner_id = p.id) rel ON true
WHERE p.id = %(id)s AND p.status = %(active_status)s
"""


@dataclass(frozen=True)
class Caller:
    person: engine.Practitioner
    booked_shortfalls: frozenset[int]  # shifts they already hold (active bookings ending from 8 days ago)


def load_caller(practitioner_id: int, *, now: dt.datetime) -> Caller | None:
    """The practitioner as the engine sees them, read in one statement; None unless active."""
    rows = _fetch_prepared(
        "matching_fresh_caller",
        _PRACTITIONER_SQL,
        {
            "id": practitioner_id,
            "active_status": "active",
            "now": now,
            "since": now - adapter.BOOKED_LOOKBACK,
            "do_not_book": PractitionerListing.Kind.DO_NOT_BOOK.value,
            "active": list(ACTIVE_BOOKING_STATUSES),
            "completed": Booking.Status.COMPLETED.value,
            "no_show": Booking.Status.NO_SHOW.value,
        },
    )
    row = rows[0] if rows else None
    if row is None:
        return None
    (codes, expiries, competences, declared, preferred, dnb_trusts, dnb_wards) = row[13:20]
    (starts, ends, shortfalls, h_wards, h_shifts, h_last, h_ratings) = row[20:27]
    (n_feedback, mean, completed, late, no_shows) = row[27:32]
    credentials: dict[str, dt.datetime] = {}
    for code, expires_on in zip(codes or (), expiries or (), strict=True):
        adapter.add_credential(credentials, code, expires_on)
    listings = list(zip(dnb_trusts or (), dnb_wards or (), strict=True))
    person = adapter.to_engine_practitioner(
        row[:13],
        credentials=credentials,
        competences=competences or (),
        declared=declared or (),
        preferred=preferred or (),
        blocked_trusts={str(trust) for trust, ward in listings if ward is None},
        blocked_wards={str(ward) for _, ward in listings if ward is not None},
        booked=[engine.Interval(s, e) for s, e in zip(starts or (), ends or (), strict=True)],
        history=[
            engine.WardHistory(str(w), n, last, rating)
            for w, n, last, rating in zip(
                h_wards or (), h_shifts or (), h_last or (), h_ratings or (), strict=True
            )
        ],
        rating=(n_feedback, mean),
        reliability=engine.Reliability(completed, late, no_shows),
    )
    return Caller(person=person, booked_shortfalls=frozenset(shortfalls or ()))


_SHIFT_FIELDS = {
    "id", "ward_id", "trust_id", "role_id", "min_band", "starts_at", "ends_at", "headcount",
    "gender_requirement", "rate_cap", "extra_radius_km", "shift_type", "hourly_rate", "status",
}  # fmt: skip
# Model.from_db takes the values in the model's field order.
_SHIFT_COLUMNS = [f.attname for f in ShortfallModel._meta.concrete_fields if f.attname in _SHIFT_FIELDS]


class ShiftRow(namedtuple("ShiftRow", _SHIFT_COLUMNS)):
    """An open shift as read for roles for you: the attributes a ranking and its JSON need, without
    the cost of a model instance (a page's templates ask for ``as_model()``)."""

    __slots__ = ()

    def as_model(self) -> ShortfallModel:
        return ShortfallModel.from_db(connection.alias, _SHIFT_COLUMNS, tuple(self))


def open_shifts(
    *,
    role_id: int,
    band: int,
    now: dt.datetime,
    box: tuple[float, float, float, float],
    exclude: frozenset[int],
    starts_after: dt.datetime | None,
    starts_before: dt.datetime | None,
    setting: str | None,
    ward_name: str | None,
    limit: int,
) -> list[tuple[ShiftRow, frozenset[str]]]:
    """The soonest open shifts of a role and band within a box of ward coordinates, each with its
    desired competences (one statement)."""
    lat_lo, lat_hi, lon_lo, lon_hi = box
    where = [
        "s.status = ANY(%(open)s)",
        "s.starts_at > %(now)s",
        "s.role_id = %(role)s",
        "s.min_band <= %(band)s",
        "w.latitude BETWEEN %(lat_lo)s AND %(lat_hi)s",
        "w.longitude BETWEEN %(lon_lo)s AND %(lon_hi)s",
        "NOT (s.id = ANY(%(exclude)s))",
    ]
    params = {
        "open": list(ShortfallModel.OPEN_STATUSES),
        "now": now,
        "role": role_id,
        "band": band,
        "lat_lo": lat_lo,
        "lat_hi": lat_hi,
        "lon_lo": lon_lo,
        "lon_hi": lon_hi,
        "exclude": sorted(exclude),
        "limit": limit,
    }
    if starts_after is not None:  # inclusive: a shift starting at local midnight belongs to that day
        where.append("s.starts_at >= %(after)s")
        params["after"] = starts_after
    if starts_before is not None:
        where.append("s.starts_at < %(before)s")
        params["before"] = starts_before
    if setting:
        where.append("w.setting_id = (SELECT id FROM organisations_setting WHERE code = %(setting)s)")
        params["setting"] = setting
    if ward_name:
        escaped = ward_name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("w.name ILIKE %(name)s")
        params["name"] = f"%{escaped}%"
    sql = f"""
        SELECT {", ".join(f"s.{column}" for column in _SHIFT_COLUMNS)},
               (SELECT array_agg(c.code) FROM jobs_shortfall_desired_competences d
                  JOIN organisations_competence c ON c.id = d.competence_id WHERE d.shortfall_id = s.id)
        FROM jobs_shortfall s JOIN organisations_ward w ON w.id = s.ward_id
        WHERE {" AND ".join(where)}
        ORDER BY s.starts_at, s.id
        LIMIT %(limit)s
    """
    variant = "".join("1" if key in params else "0" for key in ("after", "before", "setting", "name"))
    rows = _fetch_prepared(f"matching_fresh_shifts_{variant}", sql, params)
    return [(ShiftRow(*row[:-1]), frozenset(row[-1] or ())) for row in rows]
