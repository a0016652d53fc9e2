"""Every registered model's admin changelist, add page and search answer a superuser."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backend.core import audit
from backend.core.models import AuditEvent
from backend.practitioners.models import PractitionerListing
from jobs.models import TrustFeedback, WardFeedback
from tests.factories import (
    AgencyUserFactory,
    AvailabilityFactory,
    BookingFactory,
    CredentialFactory,
    OfferFactory,
    TrustUserFactory,
    UserFactory,
    WardExperienceFactory,
)

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def admin_client(client):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    return client


@pytest.fixture
def some_rows():
    booking = BookingFactory()
    OfferFactory(shortfall=booking.shortfall, practitioner=booking.practitioner)
    CredentialFactory(practitioner=booking.practitioner)
    AvailabilityFactory(practitioner=booking.practitioner)
    WardExperienceFactory(practitioner=booking.practitioner, ward=booking.shortfall.ward)
    TrustUserFactory(trust=booking.shortfall.trust)
    AgencyUserFactory()
    audit.record(actor=None, action="read", subject_type="practitioner", subject_id=booking.practitioner_id)
    PractitionerListing.objects.create(
        trust=booking.shortfall.trust, practitioner=booking.practitioner, kind="preferred"
    )
    TrustFeedback.objects.create(booking=booking, rating=5)
    WardFeedback.objects.create(booking=booking, induction=4, supervision=4, felt_safe=True)
    return booking


def _url(model, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def test_every_app_model_is_registered_or_inline():
    reachable = set(admin.site._registry)
    for model_admin in admin.site._registry.values():
        reachable.update(inline.model for inline in model_admin.inlines)

    for app_label in ("core", "accounts", "organisations", "practitioners", "jobs", "notifications"):
        for model in apps.get_app_config(app_label).get_models():
            assert model in reachable, f"{model._meta.label} is not in the admin"


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_changelist_add_and_search_answer(admin_client, some_rows, model, model_admin):
    changelist = admin_client.get(_url(model, "changelist"))
    assert changelist.status_code == 200

    if model_admin.search_fields:
        searched = admin_client.get(_url(model, "changelist"), {"q": "Willow"})
        assert searched.status_code == 200

    request = RequestFactory().get("/")
    request.user = changelist.wsgi_request.user
    add = admin_client.get(_url(model, "add"))
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)

    row = model._default_manager.order_by("pk").first()
    if row is not None:
        change_url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[row.pk])
        assert admin_client.get(change_url).status_code == 200


def test_audit_events_are_read_only_in_the_admin(admin_client, some_rows):
    event = AuditEvent.objects.get()

    assert admin_client.get(_url(AuditEvent, "add")).status_code == 403
    change = admin_client.get(reverse("admin:core_auditevent_change", args=[event.id]))
    assert change.status_code == 200  # view-only page
    assert b'name="_save"' not in change.content
    assert (
        admin_client.post(
            reverse("admin:core_auditevent_delete", args=[event.id]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.count() == 1


def test_ward_search_matches_aliases(admin_client, some_rows):
    ward = some_rows.shortfall.ward
    ward.aliases = ["Ward 7 (Acute)"]
    ward.save()

    response = admin_client.get(_url(type(ward), "changelist"), {"q": "ward 7"})

    assert list(response.context["cl"].result_list) == [ward]


def test_practitioner_search_by_registration_number(admin_client, some_rows):
    practitioner = some_rows.practitioner

    response = admin_client.get(
        _url(type(practitioner), "changelist"), {"q": practitioner.registration_number}
    )

    assert list(response.context["cl"].result_list) == [practitioner]


@pytest.mark.parametrize(
    ("url", "make_row"),
    [
        ("admin:practitioners_practitioner_changelist", lambda: CredentialFactory()),
        ("admin:practitioners_credential_changelist", lambda: CredentialFactory()),
        ("admin:jobs_shortfall_changelist", lambda: OfferFactory()),
        ("admin:jobs_offer_changelist", lambda: OfferFactory()),
        ("admin:jobs_booking_changelist", lambda: BookingFactory()),
    ],
)
def test_big_table_changelists_do_not_query_per_row(admin_client, url, make_row):
    make_row()
    with CaptureQueriesContext(connection) as one_row:
        assert admin_client.get(reverse(url)).status_code == 200
    for _ in range(4):
        make_row()

    with CaptureQueriesContext(connection) as five_rows:
        assert admin_client.get(reverse(url)).status_code == 200

    assert len(five_rows) == len(one_row)
