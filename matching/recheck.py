"""One practitioner against one shortfall with fresh rows: the re-check just before a booking.

The general adapter (``candidates.load_practitioners`` and ``engine_shortfalls``) loads everything
ranking needs: ward history, ratings, reliability, bookings, every requirement row (14 queries and
most of an accept's time). The hard rules read far less, and this loads only that, next to the rows
the caller has already locked (the booking's lock order is shortfall, offers, then practitioner): the
practitioner's verified credentials of the types this shift requires, their do-not-book entries for
this ward or its trust, and the shift's credential requirements. The engine's ``explain_pair`` still decides, so the
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


def engine_practitioner(
    practitioner: PractitionerModel, *, requires: frozenset[str], ward: engine.Ward, now: dt.datetime
) -> engine.Practitioner:
    """What the hard rules read about a practitioner: their row (with its role), their verified
    credentials of the ``requires`` types and their do-not-book entries for ``ward`` or its trust.
    What only scores (history, ratings, preferences) is left empty."""
    credentials: dict[str, dt.datetime] = {}
    for code, expires_on in Credential.objects.filter(
        practitioner_id=practitioner.id, verified_at__isnull=False, credential_type__code__in=requires
    ).values_list("credential_type__code", "expires_on"):
        adapter.add_credential(credentials, code, expires_on)

    blocked_trusts, blocked_wards = set(), set()
    for trust_id, ward_id in (
        PractitionerListing.objects.filter(
            Q(ward_id=int(ward.id)) | Q(ward__isnull=True, trust_id=int(ward.trust)),
            practitioner_id=practitioner.id,
            kind=PractitionerListing.Kind.DO_NOT_BOOK,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("trust_id", "ward_id")
    ):
        if ward_id is None:
            blocked_trusts.add(str(trust_id))
        else:
            blocked_wards.add(str(ward_id))

    row = tuple(
        practitioner.role.code if field == "role__code" else getattr(practitioner, field)
        for field in adapter.PRACTITIONER_FIELDS
    )
    return adapter.to_engine_practitioner(
        row,
        credentials=credentials,
        competences=(),
        declared=(),
        preferred=(),
        blocked_trusts=blocked_trusts,
        blocked_wards=blocked_wards,
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
    trust), trust and role loaded, ``practitioner`` with its role. Three small queries."""
    if practitioner.status != PractitionerModel.Status.ACTIVE:
        return None
    ward = adapter.engine_ward(shortfall.ward)
    requires = required_credentials(shortfall)
    person = engine_practitioner(practitioner, requires=requires, ward=ward, now=now)
    engine_shortfall = adapter.engine_shortfall(
        shortfall, role=shortfall.role.code, requires=requires, competences=()
    )
    blockers = explain_pair(engine_shortfall, ward, person, adapter.rules_for(shortfall.trust), now)
    return [b for b in blockers if b.code not in WORKING_TIME_RULES]
