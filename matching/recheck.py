"""One practitioner against one shortfall with fresh rows: the re-check just before a booking.

The general adapter (``candidates.load_practitioners`` and ``engine_shortfalls``) loads everything
ranking needs: ward history, ratings, reliability, bookings, every requirement row (14 queries and
most of an accept's time). The hard rules read far less, and this loads only that: the
practitioner's row (locked: the booking's lock order is shortfall, offers, then practitioner), their
verified credentials of the types this shift requires, their do-not-book entries for this ward or its
trust, and the shift's credential requirements. The engine's ``explain_pair`` still decides, so the
blockers, their order and their wording are the engine's. ``tests/matching/test_recheck.py`` checks
on generated cases that this and the general adapter name the same blockers.

Working-time rules (overlap, rest, weekly hours) are not decided here: the booking service checks
them under the same practitioner lock, with its own errors.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from backend.organisations.models import SettingRequirement, TrustRequirement
from backend.organisations.taxonomy_data import BASELINE_CREDENTIALS
from backend.practitioners.models import Credential, PractitionerListing
from backend.practitioners.models import Practitioner as PractitionerModel
from jobs.models import Shortfall as ShortfallModel
from matching import candidates as adapter
from matching.engine import model as engine
from matching.engine.eligibility import explain_pair

WORKING_TIME_RULES = frozenset({"overlap", "rest", "weekly_hours"})
_NO_EXPIRY = dt.datetime.max.replace(tzinfo=dt.UTC)


def required_credentials(shortfall: ShortfallModel) -> frozenset[str]:
    """The baseline, the ward's setting presets (all roles, or this role) and the trust's extras
    (all settings, or this one): ``engine_shortfalls``' fold, filtered in one query."""
    setting_id = shortfall.ward.setting_id
    presets = SettingRequirement.objects.filter(
        Q(role__isnull=True) | Q(role_id=shortfall.role_id), setting_id=setting_id
    ).values_list("credential_type__code", flat=True)
    extras = TrustRequirement.objects.filter(
        Q(setting__isnull=True) | Q(setting_id=setting_id), trust_id=shortfall.trust_id
    ).values_list("credential_type__code", flat=True)
    return frozenset({*BASELINE_CREDENTIALS, *presets.union(extras)})


def engine_shortfall(shortfall: ShortfallModel, *, requires: frozenset[str]) -> engine.Shortfall:
    """The fields the hard rules read (desired competences only score, so they are left out)."""
    return engine.Shortfall(
        id=str(shortfall.id),
        ward=str(shortfall.ward_id),
        role=shortfall.role.code,
        min_band=shortfall.min_band,
        start=shortfall.starts_at,
        end=shortfall.ends_at,
        headcount=shortfall.headcount,
        requires=requires,
        gender=shortfall.gender_requirement or None,
        rate_cap=float(shortfall.rate_cap) if shortfall.rate_cap is not None else None,
        extra_radius_km=float(shortfall.extra_radius_km),
    )


def lock_practitioner(
    practitioner_id: int, *, requires: frozenset[str], ward: engine.Ward, now: dt.datetime
) -> engine.Practitioner | None:
    """Lock the practitioner's row and load what the hard rules read about them; None when they
    are not active (the general adapter loads active practitioners only)."""
    row = (
        PractitionerModel.objects.select_for_update(of=("self",))
        .filter(id=practitioner_id)
        .values_list(
            "status",
            "role__code",
            "band",
            "gender",
            "home_latitude",
            "home_longitude",
            "travel_radius_km",
            "opted_out_of_weekly_cap",
            "registration_body",
            "registration_expires_on",
            "hourly_rate",
        )
        .first()
    )
    if row is None or row[0] != PractitionerModel.Status.ACTIVE:
        return None
    status, role, band, gender, lat, lon, radius, opted_out, body, registration_expires, rate = row

    credentials: dict[str, dt.datetime] = {}
    for code, expires_on in Credential.objects.filter(
        practitioner_id=practitioner_id, verified_at__isnull=False, credential_type__code__in=requires
    ).values_list("credential_type__code", "expires_on"):
        expiry = adapter.end_of_day(expires_on) if expires_on else _NO_EXPIRY
        credentials[code] = max(expiry, credentials.get(code, expiry))

    blocked_trusts, blocked_wards = set(), set()
    for trust_id, ward_id in (
        PractitionerListing.objects.filter(
            Q(ward_id=int(ward.id)) | Q(ward__isnull=True, trust_id=int(ward.trust)),
            practitioner_id=practitioner_id,
            kind=PractitionerListing.Kind.DO_NOT_BOOK,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("trust_id", "ward_id")
    ):
        if ward_id is None:
            blocked_trusts.add(str(trust_id))
        else:
            blocked_wards.add(str(ward_id))

    return engine.Practitioner(
        id=str(practitioner_id),
        role=role,
        band=band,
        gender=gender or None,
        lat=lat,
        lon=lon,
        radius_km=float(radius),
        has_opted_out=opted_out,
        status=status,
        registration_expires=(
            adapter.end_of_day(registration_expires)
            if registration_expires
            else (dt.datetime.min.replace(tzinfo=dt.UTC) if body else None)
        ),
        credentials=credentials,
        blocked_trusts=frozenset(blocked_trusts),
        blocked_wards=frozenset(blocked_wards),
        hourly_rate=float(rate) if rate is not None else None,
    )


def blockers_before_booking(
    *, shortfall: ShortfallModel, practitioner_id: int, now: dt.datetime
) -> list[engine.Blocker] | None:
    """Every hard rule but the working-time ones that this pair breaks now ([] = may book), with
    the practitioner's row locked; None when the practitioner is not active. ``shortfall`` needs
    its ward (with the ward's trust), trust and role loaded."""
    ward = adapter.engine_ward(shortfall.ward)
    requires = required_credentials(shortfall)
    person = lock_practitioner(practitioner_id, requires=requires, ward=ward, now=now)
    if person is None:
        return None
    blockers = explain_pair(
        engine_shortfall(shortfall, requires=requires), ward, person, adapter.rules_for(shortfall.trust), now
    )
    return [b for b in blockers if b.code not in WORKING_TIME_RULES]
