from django.urls import path

from backend.web import agency_views, practitioner_views, trust_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("roles/", practitioner_views.roles, name="roles"),
    path("offers/", practitioner_views.offers, name="offers"),
    path("offers/<int:offer_id>/accept/", practitioner_views.accept, name="offer-accept"),
    path("offers/<int:offer_id>/decline/", practitioner_views.decline, name="offer-decline"),
    path("bookings/", practitioner_views.bookings, name="bookings"),
    path("bookings/<int:booking_id>/", practitioner_views.booking_card, name="booking-card"),
    path("bookings/<int:booking_id>/cancel/", practitioner_views.booking_cancel, name="booking-cancel"),
    path("credentials/", practitioner_views.credentials, name="credentials"),
    path("availability/", practitioner_views.availability, name="availability"),
    path(
        "availability/<int:availability_id>/remove/",
        practitioner_views.availability_remove,
        name="availability-remove",
    ),
    path("settings/notifications/", practitioner_views.preferences, name="preferences"),
    path("settings/calendar/", practitioner_views.calendar_link, name="calendar-link"),
    path("shortfalls/", trust_views.shortfalls, name="shortfalls"),
    path("shortfalls/new/", trust_views.shortfall_new, name="shortfall-new"),
    path("shortfalls/status/", trust_views.shortfalls_status, name="shortfalls-status"),
    # Trust staff (and agency staff acting for a trust): bulk import, one shortfall, lists, ratings.
    path("shortfalls/import/", trust_views.shortfall_import, name="shortfall-import"),
    path("shortfalls/import/confirm/", trust_views.shortfall_import_confirm, name="shortfall-import-confirm"),
    path("shortfalls/<int:shortfall_id>/", trust_views.shortfall_detail, name="shortfall-detail"),
    path("shortfalls/<int:shortfall_id>/cancel/", trust_views.shortfall_cancel, name="shortfall-cancel"),
    path("trust/bookings/", trust_views.bookings_to_rate, name="trust-bookings"),
    path("trust/bookings/<int:booking_id>/rate/", trust_views.booking_rate, name="booking-rate"),
    path("trust/bookings/<int:booking_id>/no-show/", trust_views.booking_no_show, name="booking-no-show"),
    path("trust/lists/", trust_views.listings, name="listings"),
    path("trust/lists/<int:listing_id>/remove/", trust_views.listing_remove, name="listing-remove"),
    # Agency staff: dashboard, urgent queue (broaden / escalate), candidates, credentials, deliveries.
    path("agency/", agency_views.dashboard, name="agency-dashboard"),
    path("agency/urgent/", agency_views.urgent, name="urgent"),
    path("shortfalls/<int:shortfall_id>/candidates/", agency_views.candidates, name="shortfall-candidates"),
    path("shortfalls/<int:shortfall_id>/broaden/", agency_views.broaden, name="shortfall-broaden"),
    path("shortfalls/<int:shortfall_id>/escalate/", agency_views.escalate, name="shortfall-escalate"),
    path("agency/credentials/", agency_views.credentials, name="agency-credentials"),
    path(
        "agency/credentials/<int:credential_id>/verify/",
        agency_views.credential_verify,
        name="credential-verify",
    ),
    path("agency/deliveries/", agency_views.deliveries, name="deliveries"),
]
