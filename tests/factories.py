"""factory_boy factories for the domain. Taxonomy rows come from the data migration; factories look
them up by code instead of creating duplicates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from backend.accounts.models import User
from backend.organisations.models import Agency, CredentialType, Role, Setting, Site, Trust, Ward
from backend.practitioners.models import Availability, Credential, Practitioner, WardExperience
from jobs.models import Booking, Offer, Shortfall


def role(code: str = "rmn") -> Role:
    return Role.objects.get(code=code)


def setting(code: str = "adult_acute") -> Setting:
    return Setting.objects.get(code=code)


def credential_type(code: str) -> CredentialType:
    return CredentialType.objects.get(code=code)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("name",)

    name = "Northern Care Staffing"


class TrustFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trust

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Pennine Care NHS Foundation Trust {n}")
    ods_code = factory.Sequence(lambda n: f"R{n:04d}")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    trust = factory.SubFactory(TrustFactory)
    name = factory.Sequence(lambda n: f"Moorside Hospital {n}")
    postcode = "M13 9WL"
    latitude = 53.4668
    longitude = -2.2339


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward

    site = factory.SubFactory(SiteFactory)
    trust = factory.SelfAttribute("site.trust")
    name = factory.Sequence(lambda n: f"Willow Ward {n}")
    setting = factory.LazyFunction(lambda: setting("adult_acute"))
    latitude = 53.4668
    longitude = -2.2339


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nhs.uk")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Taylor{n}")
    kind = User.Kind.PRACTITIONER
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AgencyUserFactory(UserFactory):
    kind = User.Kind.AGENCY_STAFF
    agency = factory.SubFactory(AgencyFactory)


class TrustUserFactory(UserFactory):
    kind = User.Kind.TRUST_STAFF
    trust = factory.SubFactory(TrustFactory)


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = factory.LazyFunction(lambda: role("rmn"))
    band = 5
    status = Practitioner.Status.ACTIVE
    gender = Practitioner.Gender.FEMALE
    registration_body = "NMC"
    registration_number = factory.Sequence(lambda n: f"{n:02d}A{n:04d}E")
    registration_expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    home_postcode = "M14 5RX"
    home_latitude = 53.4500
    home_longitude = -2.2200
    travel_radius_km = 30
    hourly_rate = Decimal("32.50")


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credential

    practitioner = factory.SubFactory(PractitionerFactory)
    credential_type = factory.LazyFunction(lambda: credential_type("dbs_adult"))
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=200))
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=400))


class AvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Availability

    practitioner = factory.SubFactory(PractitionerFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + dt.timedelta(hours=12))


class WardExperienceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WardExperience

    practitioner = factory.SubFactory(PractitionerFactory)
    ward = factory.SubFactory(WardFactory)
    shifts_worked = 6
    first_worked_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=200))
    last_worked_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=12))


class ShortfallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shortfall

    ward = factory.SubFactory(WardFactory)
    trust = factory.SelfAttribute("ward.trust")
    role = factory.LazyFunction(lambda: role("rmn"))
    min_band = 5
    headcount = 1
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + dt.timedelta(days=3)).replace(hour=7, minute=30, second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + dt.timedelta(hours=12, minutes=30))
    shift_type = Shortfall.ShiftType.LONG_DAY
    posted_at = factory.LazyFunction(timezone.now)


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    shortfall = factory.SubFactory(ShortfallFactory)
    practitioner = factory.SubFactory(PractitionerFactory)
    score = 0.5
    status = Offer.Status.SENT
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(minutes=30))


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    shortfall = factory.SubFactory(ShortfallFactory)
    practitioner = factory.SubFactory(PractitionerFactory)
    starts_at = factory.SelfAttribute("shortfall.starts_at")
    ends_at = factory.SelfAttribute("shortfall.ends_at")
    status = Booking.Status.CONFIRMED


BASELINE_CREDENTIALS = ("dbs_adult", "right_to_work", "core_mandatory")


def qualified_practitioner(agency, **kwargs) -> Practitioner:
    """An active practitioner holding the verified baseline credentials every shift needs."""
    practitioner = PractitionerFactory(agency=agency, **kwargs)
    verifier = AgencyUserFactory(agency=agency)
    for code in BASELINE_CREDENTIALS:
        CredentialFactory(
            practitioner=practitioner,
            credential_type=credential_type(code),
            verified_by=verifier,
            verified_at=timezone.now(),
        )
    return practitioner


def shift(ward, *, in_hours: float, hours: float = 12.5, headcount: int = 1, **kwargs) -> Shortfall:
    """A shortfall on `ward` starting `in_hours` from now (whole minutes), `hours` long."""
    start = (timezone.now() + dt.timedelta(hours=in_hours)).replace(second=0, microsecond=0)
    return ShortfallFactory(
        ward=ward, starts_at=start, ends_at=start + dt.timedelta(hours=hours), headcount=headcount, **kwargs
    )
