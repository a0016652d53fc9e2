"""The re-check before a booking (matching.recheck) loads only what the hard rules read; it must
name exactly the blockers the general adapter + engine name for the same pair."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.organisations.models import SettingRequirement, TrustRequirement
from backend.practitioners.models import Practitioner, PractitionerListing
from matching import candidates as adapter
from matching.engine.eligibility import explain_pair
from matching.recheck import WORKING_TIME_RULES, blockers_before_booking
from tests import factories as f

CASES = 120
CREDENTIAL_CODES = [
    "dbs_adult",
    "right_to_work",
    "core_mandatory",
    "dbs_children",
    "safeguarding_children_l3",
    "pmva_rrn",
    "ils",
]


def _general_blockers(shortfall, practitioner_id, now):
    """What the accept path did before: the full adapter, then explain_pair."""
    (person,) = adapter.load_practitioners(now=now, practitioner_ids=[practitioner_id]) or (None,)
    if person is None:
        return None
    (engine_shortfall,) = adapter.engine_shortfalls([shortfall])
    blockers = explain_pair(
        engine_shortfall, adapter.engine_ward(shortfall.ward), person, adapter.rules_for(shortfall.trust), now
    )
    return [b for b in blockers if b.code not in WORKING_TIME_RULES]


@pytest.fixture
def world(db):
    agency_user = f.AgencyUserFactory(username="agency_user")
    trusts = [f.TrustFactory(agency=agency_user.agency, band_policy=p) for p in ("up", "exact")]
    wards = [
        f.WardFactory(site=f.SiteFactory(trust=trust), setting=f.setting(code), latitude=lat, longitude=lon)
        for trust in trusts
        for code, lat, lon in (("adult_acute", 53.4668, -2.2339), ("camhs_inpatient", 53.80, -1.55))
    ]
    # Requirement rows beyond the migrated presets: trust-wide, per setting, per role.
    TrustRequirement.objects.create(trust=trusts[0], credential_type=f.credential_type("ils"))
    TrustRequirement.objects.create(
        trust=trusts[1], setting=f.setting("camhs_inpatient"), credential_type=f.credential_type("pmva_rrn")
    )
    SettingRequirement.objects.create(
        setting=f.setting("adult_acute"), role=f.role("hca"), credential_type=f.credential_type("pmva_rrn")
    )
    return {"agency": agency_user.agency, "verifier": agency_user, "trusts": trusts, "wards": wards}


def _random_case(rng: random.Random, world, now: dt.datetime):
    """A random pair. About a third are 'clean' (every choice the passing one) so that eligible
    pairs and single-rule failures come up as well as pairs failing many rules at once."""
    clean = rng.random() < 0.35

    def pick(passing, *others):
        return passing if clean else rng.choice([passing, *others])

    ward = rng.choice(world["wards"])
    start = (now + dt.timedelta(hours=rng.choice([5, 30, 200, 600]))).replace(second=0, microsecond=0)
    role = rng.choice(["rmn", "rmn", "hca"])
    min_band = rng.choice([3, 4, 5, 6])
    shortfall = f.ShortfallFactory(
        ward=ward,
        role=f.role(role),
        min_band=min_band,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=rng.choice([8, 12.5])),
        gender_requirement=rng.choice(["", "", "female", "male"]),
        rate_cap=rng.choice([None, Decimal("30.00"), Decimal("40.00")]),
        extra_radius_km=rng.choice([0, 0, 100]),
    )
    end_day = timezone.localtime(shortfall.ends_at).date()

    def around_end(passing: dt.date | None) -> dt.date | None:
        return pick(passing, None, end_day - dt.timedelta(days=400), end_day - dt.timedelta(days=1),
                    end_day, end_day + dt.timedelta(days=1), end_day + dt.timedelta(days=300))  # fmt: skip

    body = rng.choice(["NMC", "NMC", ""])
    practitioner = f.PractitionerFactory(
        agency=world["agency"],
        role=f.role(pick(role, "rmn", "hca")),
        band=pick(min_band, 3, 4, 5, 6, 7),
        status=pick(Practitioner.Status.ACTIVE, Practitioner.Status.SUSPENDED),
        gender=pick(shortfall.gender_requirement or "other", "female", "male", "other"),
        registration_body=body,
        registration_number="" if not body else f"{rng.randrange(10**8):08d}",
        registration_expires_on=around_end(end_day + dt.timedelta(days=30) if body else None),
        home_latitude=ward.latitude + pick(0.0, 0.4, 2.0),
        home_longitude=ward.longitude,
        travel_radius_km=pick(30, 5, 60),
        hourly_rate=pick(Decimal("25.00"), Decimal("35.00"), Decimal("45.00")),
        opted_out_of_weekly_cap=rng.random() < 0.3,
    )
    for code in CREDENTIAL_CODES:
        for _ in range(pick(1, 0, 1, 2)):  # none, one or two rows of a type
            expires_on = around_end(end_day + dt.timedelta(days=90))
            verified = pick(True, True, True, False)
            f.CredentialFactory(
                practitioner=practitioner,
                credential_type=f.credential_type(code),
                issued_on=min(expires_on or end_day, end_day) - dt.timedelta(days=500),
                expires_on=expires_on,
                verified_by=world["verifier"] if verified else None,
                verified_at=now if verified else None,
            )
    for _ in range(pick(0, 0, 1, 2)):
        listed_ward = rng.choice([None, ward, rng.choice(world["wards"])])
        trust = listed_ward.trust if listed_ward else rng.choice(world["trusts"])
        PractitionerListing.objects.get_or_create(
            practitioner=practitioner,
            trust=trust,
            ward=listed_ward,
            defaults={
                "kind": rng.choice([PractitionerListing.Kind.DO_NOT_BOOK] * 3 + [PractitionerListing.Kind.PREFERRED]),
                "expires_at": rng.choice([None, now - dt.timedelta(hours=1), now + dt.timedelta(days=2)]),
                "reason": "Raised by the ward manager",
            },
        )  # fmt: skip
    if rng.random() < 0.3:  # a clashing booking: working-time rules are the booking service's, not ours
        f.BookingFactory(
            practitioner=practitioner,
            shortfall=f.ShortfallFactory(ward=ward, starts_at=start + dt.timedelta(hours=2), ends_at=start + dt.timedelta(hours=9)),
        )  # fmt: skip
    return shortfall, practitioner


def _with_role(practitioner):
    """The practitioner as accept_offer locks it (with its role)."""
    return Practitioner.objects.select_related("role").get(id=practitioner.id)


def _loaded(shortfall):
    """The shortfall as accept_offer loads it (locked, with ward, ward's setting and trust, role)."""
    from jobs.models import Shortfall

    return Shortfall.objects.select_related("ward__setting", "ward__trust", "trust", "role").get(
        id=shortfall.id
    )


def test_targeted_recheck_names_the_same_blockers_as_the_general_adapter(world):
    rng = random.Random(8)
    now = timezone.now()
    seen: set[str] = set()
    inactive = eligible = 0
    for _ in range(CASES):
        shortfall, practitioner = _random_case(rng, world, now)
        shortfall = _loaded(shortfall)

        general = _general_blockers(shortfall, practitioner.id, now)
        targeted = blockers_before_booking(
            shortfall=shortfall, practitioner=_with_role(practitioner), now=now
        )

        assert targeted == general, (shortfall.id, practitioner.id)
        if targeted is None:
            inactive += 1
        else:
            eligible += not targeted
            seen |= {b.code for b in targeted}
    # The generated cases reach every rule the re-check decides, and both outcomes.
    assert seen == {"role", "band", "registration", "credential", "do_not_book", "gender", "travel", "rate"}
    assert inactive > 0 and eligible > 0


def test_recheck_reads_one_query_and_takes_no_lock_of_its_own(world):
    shortfall = _loaded(f.shift(world["wards"][0], in_hours=48))
    nurse = _with_role(f.qualified_practitioner(world["agency"]))

    with CaptureQueriesContext(connection) as queries:
        blockers = blockers_before_booking(shortfall=shortfall, practitioner=nurse, now=timezone.now())

    assert [(b.code, b.detail) for b in blockers] == [("credential", "No ILS on file")]
    assert len(queries) == 1
    assert not [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
