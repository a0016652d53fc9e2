"""Roles for you reads the caller and the open shifts in one statement each on PostgreSQL
(matching.fresh); the general ORM adapter stays the path for other databases. Both must give the
engine exactly the same inputs and the caller exactly the same roles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.organisations.models import Competence, CredentialType
from backend.practitioners.models import PractitionerListing
from jobs.models import Booking, TrustFeedback
from matching import fresh, services
from matching.apis import RoleSerializer, role_json
from matching.candidates import load_practitioners
from tests import factories as f


@pytest.fixture
def scene(db):
    agency = f.AgencyFactory()
    trust = f.TrustFactory(agency=agency)
    other_trust = f.TrustFactory(agency=agency, score_weights={"continuity": 0.9, "distance": 0.05})
    wards = [
        f.WardFactory(site=f.SiteFactory(trust=trust), name="Willow Ward"),
        f.WardFactory(site=f.SiteFactory(trust=trust), name="Ash 100%_unit", setting=f.setting("picu")),
        f.WardFactory(
            site=f.SiteFactory(trust=other_trust), name="Birch Ward", setting=f.setting("older_adult")
        ),
    ]
    person = f.qualified_practitioner(agency, shift_preference="nights")
    verifier = f.AgencyUserFactory(agency=agency)
    now = timezone.now()
    # Credentials: a second, later DBS (the latest counts), an unverified one, one without expiry.
    f.CredentialFactory(
        practitioner=person,
        credential_type=f.credential_type("dbs_adult"),
        expires_on=timezone.localdate() + dt.timedelta(days=900),
        verified_at=now,
        verified_by=verifier,
    )
    f.CredentialFactory(practitioner=person, credential_type=f.credential_type("pmva_rrn"), verified_at=None)
    f.CredentialFactory(
        practitioner=person,
        credential_type=f.credential_type("bls"),
        expires_on=None,
        verified_at=now,
        verified_by=verifier,
    )
    competences = list(Competence.objects.order_by("code")[:3])
    person.competences.add(*competences[:2])
    person.settings_experience.add(f.setting("picu"), f.setting("adult_acute"))
    person.preferred_settings.add(f.setting("older_adult"))
    PractitionerListing.objects.create(
        practitioner=person, trust=other_trust, kind=PractitionerListing.Kind.DO_NOT_BOOK, reason="x"
    )
    PractitionerListing.objects.create(
        practitioner=person, trust=trust, ward=wards[1], kind=PractitionerListing.Kind.DO_NOT_BOOK, reason="y"
    )
    PractitionerListing.objects.create(  # expired: no longer blocks
        practitioner=person,
        trust=trust,
        ward=wards[0],
        kind=PractitionerListing.Kind.DO_NOT_BOOK,
        reason="z",
        expires_at=now - dt.timedelta(days=1),
    )
    f.WardExperienceFactory(practitioner=person, ward=wards[0], shifts_worked=4)
    f.WardExperienceFactory(practitioner=person, ward=wards[2], shifts_worked=1, last_rating=Decimal("4.5"))
    past = f.shift(wards[0], in_hours=-30, hours=12)
    completed = f.BookingFactory(shortfall=past, practitioner=person, status=Booking.Status.COMPLETED)
    TrustFeedback.objects.create(booking=completed, rating=4)
    f.BookingFactory(
        shortfall=f.shift(wards[0], in_hours=-300), practitioner=person, status=Booking.Status.NO_SHOW
    )
    f.BookingFactory(
        shortfall=f.shift(wards[0], in_hours=-200),
        practitioner=person,
        status=Booking.Status.CANCELLED_BY_PRACTITIONER,
        is_late_cancellation=True,
    )
    held = f.shift(wards[0], in_hours=48)
    f.BookingFactory(shortfall=held, practitioner=person)
    shifts = [
        f.shift(wards[0], in_hours=20),
        f.shift(wards[0], in_hours=60, hourly_rate=Decimal("41.25")),
        f.shift(wards[1], in_hours=90),
        f.shift(wards[2], in_hours=120),
        f.shift(wards[0], in_hours=150, min_band=7),  # above the practitioner's band
    ]
    shifts[1].desired_competences.add(*competences[1:])
    shifts[3].desired_competences.add(competences[2])
    bystander = f.qualified_practitioner(agency)
    for kind in CredentialType.objects.exclude(code__in=f.BASELINE_CREDENTIALS):  # every setting's presets
        f.CredentialFactory(
            practitioner=bystander, credential_type=kind, verified_at=now, verified_by=verifier
        )
    f.BookingFactory(shortfall=shifts[0], practitioner=bystander)
    return {"person": person, "bystander": bystander, "held": held, "shifts": shifts, "wards": wards}


def _general_path(monkeypatch):
    monkeypatch.setattr(fresh, "is_available", lambda: False)


def test_the_caller_read_in_one_statement_equals_the_general_adapter(scene):
    now = timezone.now()
    for practitioner in (scene["person"], scene["bystander"]):
        caller = fresh.load_caller(practitioner.id, now=now)
        (general,) = load_practitioners(now=now, practitioner_ids=[practitioner.id])

        assert caller.person == general
        assert caller.person.credentials == general.credentials
    person = fresh.load_caller(scene["person"].id, now=now).person
    assert person.blocked_trusts and person.blocked_wards == {str(scene["wards"][1].id)}
    assert person.reliability.completed == 1 and person.reliability.no_shows == 1
    assert person.reliability.late_cancellations == 1
    assert person.rating_count == 1 and person.rating_mean == 4.0
    assert scene["held"].id in fresh.load_caller(scene["person"].id, now=now).booked_shortfalls


def test_an_inactive_practitioner_is_offered_nothing_on_either_path(scene, monkeypatch):
    person = scene["person"]
    person.status = "suspended"
    person.save(update_fields=["status"])

    assert fresh.load_caller(person.id, now=timezone.now()) is None
    assert services.roles_for(practitioner=person) == []
    _general_path(monkeypatch)
    assert services.roles_for(practitioner=person) == []


def _summary(matches):
    return [(m.shift.id, round(m.score, 9), m.reasons, dict(m.terms)) for m in matches]


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"search": "100%_"},  # LIKE wildcards in a ward name are literal
        {"search": "willow"},
        {"search": "psychiatric intensive care"},  # resolved to a setting by the taxonomy
        {"setting": "older_adult"},
        {"max_distance_km": 1},
        {"starts_after_hours": 55, "starts_before_hours": 125},
    ],
)
def test_both_paths_list_the_same_roles_with_the_same_scores_and_reasons(scene, monkeypatch, filters):
    filters = dict(filters)
    now = timezone.now()
    if "starts_after_hours" in filters:
        filters["starts_after"] = now + dt.timedelta(hours=filters.pop("starts_after_hours"))
        filters["starts_before"] = now + dt.timedelta(hours=filters.pop("starts_before_hours"))
    for practitioner in (scene["person"], scene["bystander"]):
        one_statement = _summary(services.roles_for(practitioner=practitioner, **filters))
        with monkeypatch.context() as patch:
            _general_path(patch)
            general = _summary(services.roles_for(practitioner=practitioner, **filters))

        assert one_statement == general
        assert one_statement or "max_distance_km" in filters or practitioner == scene["person"]


def test_the_roles_leave_out_held_shifts_and_shifts_above_the_band(scene):
    ids = {m.shift.id for m in services.roles_for(practitioner=scene["bystander"])}

    assert scene["shifts"][0].id not in ids  # the bystander holds it
    assert scene["shifts"][4].id not in ids  # band 7 needed
    assert scene["shifts"][1].id in ids


def test_role_json_writes_what_the_documented_serializer_writes(scene):
    matches = services.roles_for(practitioner=scene["bystander"])
    assert any(m.shift.hourly_rate is not None for m in matches)

    assert [role_json(m) for m in matches] == RoleSerializer(matches, many=True).data


def test_a_listed_role_is_a_shortfall_model_for_the_pages(scene):
    (match, *_) = services.roles_for(practitioner=scene["bystander"])

    assert match.shortfall.id == match.shift.id
    assert match.shortfall.get_shift_type_display()
    assert match.shortfall.ward.name
