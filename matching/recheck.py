"""One practitioner against one shortfall with fresh rows: the re-check just before a booking.

The general adapter (``candidates.load_practitioners`` and ``engine_shortfalls``) loads everything
ranking needs: ward history, ratings, reliability, bookings, every requirement row (14 queries and
most of an accept's time). The hard rules read far less. Next to the rows the caller has already
locked (the booking's lock order is shortfall, offers, then practitioner), this reads only the shift's
credential requirements, the practitioner's verified credentials and their do-not-book entries for
this ward or its trust: one statement, four SELECTs glued with UNION ALL (one round trip, no ORM
compilation; plain SQL, so the SQLite demo runs it too). The engine's ``explain_pair`` still decides,
so the blockers, their order and their wording are the engine's. ``tests/matching/test_recheck.py``
checks on generated cases that this and the general adapter name the same blockers.

Working-time rules (overlap, rest, weekly hours) are not decided here: the booking service checks
them under the same practitioner lock, with its own errors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection

from backend.organisations.models import CredentialType, SettingRequirement, TrustRequirement
from backend.organisations.taxonomy_data import BASELINE_CREDENTIALS
from backend.practitioners.models import Credential, PractitionerListing
from backend.practitioners.models import Practitioner as PractitionerModel
from jobs.models import Shortfall as ShortfallModel
from matching import candidates as adapter
from matching.engine import model as engine
from matching.engine.eligibility import explain_pair

WORKING_TIME_RULES = frozenset({"overlap", "rest", "weekly_hours"})

# The practitioner's verified credentials; their do-not-book entries still in force for this ward or
# its whole trust; the ward's setting presets (all roles, or this role) and the trust's extras (all
# settings, or this one), as engine_shortfalls folds them. (The typed branches come first: PostgreSQL
# types each UNION column from the branches before it.)
_PAIR_SQL = f"""
SELECT 'credential', ct.code, c.expires_on, NULL, NULL
  FROM {Credential._meta.db_table} c JOIN {CredentialType._meta.db_table} ct ON ct.id = c.credential_type_id
 WHERE c.practitioner_id = %s AND c.verified_at IS NOT NULL
UNION ALL
SELECT 'do_not_book', NULL, NULL, l.trust_id, l.ward_id
  FROM {PractitionerListing._meta.db_table} l
 WHERE l.practitioner_id = %s AND l.kind = %s AND (l.expires_at IS NULL OR l.expires_at > %s)
   AND (l.ward_id = %s OR (l.ward_id IS NULL AND l.trust_id = %s))
UNION ALL
SELECT 'requires', ct.code, NULL, NULL, NULL
  FROM {SettingRequirement._meta.db_table} r JOIN {CredentialType._meta.db_table} ct ON ct.id = r.credential_type_id
 WHERE r.setting_id = %s AND (r.role_id IS NULL OR r.role_id = %s)
UNION ALL
SELECT 'requires', ct.code, NULL, NULL, NULL
  FROM {TrustRequirement._meta.db_table} r JOIN {CredentialType._meta.db_table} ct ON ct.id = r.credential_type_id
 WHERE r.trust_id = %s AND (r.setting_id IS NULL OR r.setting_id = %s)
"""  # noqa: S608  (table names from the models; every value is a parameter)


@dataclass
class PairRows:
    """What the hard rules read beyond the two locked rows."""

    requires: set[str] = field(default_factory=lambda: set(BASELINE_CREDENTIALS))
    credentials: list[tuple[str, dt.date | None]] = field(default_factory=list)
    blocked_trusts: set[str] = field(default_factory=set)
    blocked_wards: set[str] = field(default_factory=set)


def load_pair_rows(shortfall: ShortfallModel, practitioner_id: int, *, now: dt.datetime) -> PairRows:
    ward = shortfall.ward
    params = [
        practitioner_id,
        practitioner_id,
        PractitionerListing.Kind.DO_NOT_BOOK.value,
        connection.ops.adapt_datetimefield_value(now),
        ward.id,
        ward.trust_id,
        ward.setting_id,
        shortfall.role_id,
        shortfall.trust_id,
        ward.setting_id,
    ]
    rows = PairRows()
    with connection.cursor() as cursor:
        cursor.execute(_PAIR_SQL, params)
        for kind, code, expires_on, trust_id, ward_id in cursor.fetchall():
            if kind == "requires":
                rows.requires.add(code)
            elif kind == "credential":
                if isinstance(expires_on, str):  # SQLite hands dates back as text
                    expires_on = dt.date.fromisoformat(expires_on)
                rows.credentials.append((code, expires_on))
            elif ward_id is None:
                rows.blocked_trusts.add(str(trust_id))
            else:
                rows.blocked_wards.add(str(ward_id))
    return rows


def engine_practitioner(practitioner: PractitionerModel, rows: PairRows) -> engine.Practitioner:
    """What the hard rules read about a practitioner; what only scores (history, ratings,
    preferences) is left empty. Credentials the shift does not require are left out."""
    credentials: dict[str, dt.datetime] = {}
    for code, expires_on in rows.credentials:
        if code in rows.requires:
            adapter.add_credential(credentials, code, expires_on)
    row = tuple(
        practitioner.role.code if name == "role__code" else getattr(practitioner, name)
        for name in adapter.PRACTITIONER_FIELDS
    )
    return adapter.to_engine_practitioner(
        row,
        credentials=credentials,
        competences=(),
        declared=(),
        preferred=(),
        blocked_trusts=rows.blocked_trusts,
        blocked_wards=rows.blocked_wards,
        booked=(),
        history=(),
        rating=(0, None),
        reliability=engine.Reliability(),
    )


def blockers_before_booking(
    *, shortfall: ShortfallModel, practitioner: PractitionerModel, now: dt.datetime
) -> list[engine.Blocker] | None:
    """Every hard rule but the working-time ones that this pair breaks now ([] = may book); None
    when the practitioner is not active (the general adapter loads active practitioners only).

    Pass rows read under the caller's locks: ``shortfall`` with its ward (the ward's setting and
    trust), trust and role loaded, ``practitioner`` with its role. One query."""
    if practitioner.status != PractitionerModel.Status.ACTIVE:
        return None
    rows = load_pair_rows(shortfall, practitioner.id, now=now)
    engine_shortfall = adapter.engine_shortfall(
        shortfall, role=shortfall.role.code, requires=frozenset(rows.requires), competences=()
    )
    ward = adapter.engine_ward(shortfall.ward)
    person = engine_practitioner(practitioner, rows)
    blockers = explain_pair(engine_shortfall, ward, person, adapter.rules_for(shortfall.trust), now)
    return [b for b in blockers if b.code not in WORKING_TIME_RULES]
