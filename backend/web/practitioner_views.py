"""Practitioner pages: roles ranked for you (with reasons), the offer inbox, bookings (with cancel),
credentials, availability, notification preferences and the calendar link. Actions answer htmx
requests with a fragment swapped in place (no full reload); without htmx they redirect (POST, then
GET) with a message, so every page also works with scripts off."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.core import audit
from backend.core.errors import ApplicationError, OfferWithdrawn, ShortfallFilled
from backend.practitioners.services import add_availability, add_credential, remove_availability
from backend.web import selectors
from backend.web.forms import RolesFilterForm
from backend.web.practitioner_forms import (
    AvailabilityForm,
    BookingCancelForm,
    CredentialUploadForm,
    NotificationPreferencesForm,
)
from jobs.services.booking_lifecycle import LATE_PRACTITIONER_CANCELLATION, cancel_booking
from jobs.services.offers import accept_offer, decline_offer
from matching.services import roles_for
from notifications import selectors as notification_selectors
from notifications import services as notification_services

ROLES_PER_PAGE = 10
OFFERS_PER_PAGE = 10
BOOKINGS_PER_PAGE = 10
CREDENTIALS_PER_PAGE = 20
AVAILABILITY_PER_PAGE = 10


def practitioner_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        practitioner = getattr(request.user, "practitioner", None) if request.user.is_practitioner else None
        if practitioner is None:
            raise Http404
        return view(request, practitioner, *args, **kwargs)

    return wrapper


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@practitioner_required
def roles(request, practitioner):
    form = RolesFilterForm(request.GET or None)
    matches = []
    if not form.is_bound:
        matches = roles_for(practitioner=practitioner)
    elif form.is_valid():
        matches = roles_for(practitioner=practitioner, **form.query())
    page = Paginator(matches, ROLES_PER_PAGE).get_page(request.GET.get("page"))
    offer_ids = selectors.open_offer_ids_by_shortfall(practitioner=practitioner, now=timezone.now())
    for match in page:
        match.offer_id = offer_ids.get(match.shortfall.id)
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "web/roles.html",
        {
            "form": form,
            "page": page,
            "filter_query": filters.urlencode(),
        },
    )


@practitioner_required
def offers(request, practitioner):
    return render(
        request,
        "web/offers.html",
        {
            "page": Paginator(
                selectors.open_offers(practitioner=practitioner, now=timezone.now()), OFFERS_PER_PAGE
            ).get_page(request.GET.get("page"))
        },
    )


def _answer(request, practitioner, offer_id: int, *, accept: bool):
    context: dict = {"offer_id": offer_id}
    try:
        if accept:
            context["booking"] = accept_offer(offer_id=offer_id, practitioner=practitioner)
            context["announcement"] = "Booked."
        else:
            decline_offer(offer_id=offer_id, practitioner=practitioner, reason=request.POST.get("reason", ""))
            context["declined"] = True
            context["announcement"] = "Offer declined."
    except (ShortfallFilled, OfferWithdrawn) as error:
        # Lost the race (or the trust cancelled): say so plainly and offer the nearest alternatives.
        context["just_filled"] = isinstance(error, ShortfallFilled)
        shortfall = selectors.offered_shortfall(practitioner=practitioner, offer_id=offer_id)
        context["similar"] = selectors.similar_roles(practitioner=practitioner, shortfall=shortfall)
        context["announcement"] = (
            "Just filled: this shift has gone to someone else."
            if context["just_filled"]
            else "This shift is no longer available."
        )
    except ApplicationError as error:
        context["error"] = error.message
        context["announcement"] = error.message
    if not _is_htmx(request):
        messages.info(request, context["announcement"])
        return redirect("offers")
    return render(request, "web/partials/offer_answer.html", context)


@require_POST
@practitioner_required
def accept(request, practitioner, offer_id: int):
    return _answer(request, practitioner, offer_id, accept=True)


@require_POST
@practitioner_required
def decline(request, practitioner, offer_id: int):
    return _answer(request, practitioner, offer_id, accept=False)


# --- Bookings ----------------------------------------------------------------------------------


def _with_cancel_state(booking, now):
    booking.is_cancellable = booking.status == booking.Status.CONFIRMED and booking.starts_at > now
    booking.is_late_to_cancel = booking.starts_at - now < LATE_PRACTITIONER_CANCELLATION
    return booking


@practitioner_required
def bookings(request, practitioner):
    now = timezone.now()
    is_past = request.GET.get("when") == "past"
    rows = (selectors.past_bookings if is_past else selectors.upcoming_bookings)(user=request.user, now=now)
    page = Paginator(rows, BOOKINGS_PER_PAGE).get_page(request.GET.get("page"))
    for booking in page:
        _with_cancel_state(booking, now)
    return render(request, "web/bookings.html", {"page": page, "is_past": is_past})


@practitioner_required
def booking_card(request, practitioner, booking_id: int):
    """One booking card: htmx's "Keep booking" swaps it back in place of the cancel question."""
    booking = _with_cancel_state(
        selectors.booking_for(user=request.user, booking_id=booking_id), timezone.now()
    )
    if not _is_htmx(request):
        return redirect("bookings")
    return render(request, "web/partials/booking_card.html", {"booking": booking})


@practitioner_required
def booking_cancel(request, practitioner, booking_id: int):
    """GET asks (with the late-cancellation warning under 12 h); POST cancels through the booking
    service, which re-checks everything under row locks."""
    booking = _with_cancel_state(
        selectors.booking_for(user=request.user, booking_id=booking_id), timezone.now()
    )
    if request.method != "POST" and not booking.is_cancellable and _is_htmx(request):
        return render(request, "web/partials/booking_card.html", {"booking": booking})
    form = BookingCancelForm(request.POST if request.method == "POST" else None)
    context = {"booking": booking, "form": form}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                cancelled = cancel_booking(
                    booking=booking, cancelled_by=request.user, reason=form.validated_data["reason"]
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                message = (
                    "Booking cancelled. It is recorded as a late cancellation (under 12 hours' notice)."
                    if cancelled.is_late_cancellation
                    else "Booking cancelled. The shift is offered to other staff again."
                )
                if not _is_htmx(request):
                    messages.success(request, message)
                    return redirect("bookings")
                context = {
                    "booking": cancelled,
                    "announcement": message,
                    "upcoming_count": selectors.upcoming_bookings(
                        user=request.user, now=timezone.now()
                    ).count(),
                }
                return render(request, "web/partials/booking_cancelled.html", context)
        else:
            status = 400
    if _is_htmx(request):
        return render(request, "web/partials/booking_cancel_form.html", context, status=status)
    return render(request, "web/booking_cancel.html", context, status=status)


# --- Credentials -------------------------------------------------------------------------------


@practitioner_required
def credentials(request, practitioner):
    is_post = request.method == "POST"
    form = CredentialUploadForm(request.POST if is_post else None, request.FILES if is_post else None)
    if is_post and form.is_valid():
        credential = add_credential(
            actor=request.user, practitioner=practitioner, fields=form.validated_data, request=request
        )
        messages.success(
            request,
            f"{credential.credential_type.name} added. The agency will check the evidence and verify it.",
        )
        return redirect("credentials")
    page = Paginator(
        selectors.own_credentials(user=request.user, today=timezone.localdate()), CREDENTIALS_PER_PAGE
    ).get_page(request.GET.get("page"))
    audit.record_many(
        actor=request.user,
        action="read",
        subject_type="credential",
        practitioner_ids=[practitioner.id] if page.object_list else [],
        request=request,
    )
    return render(
        request, "web/credentials.html", {"page": page, "form": form}, status=400 if form.errors else 200
    )


# --- Availability ------------------------------------------------------------------------------


def _availability_panel(request, *, form, announcement: str = "", status: int = 200):
    page = Paginator(
        selectors.upcoming_availability(user=request.user, now=timezone.now()), AVAILABILITY_PER_PAGE
    ).get_page(request.POST.get("page") or request.GET.get("page"))
    context = {"page": page, "form": form, "announcement": announcement}
    template = "web/partials/availability_panel.html" if _is_htmx(request) else "web/availability.html"
    return render(request, template, context, status=status)


@practitioner_required
def availability(request, practitioner):
    if request.method != "POST":
        return _availability_panel(request, form=AvailabilityForm())
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        return _availability_panel(request, form=form, status=400)
    window = add_availability(
        actor=request.user, practitioner=practitioner, fields=form.validated_data, request=request
    )
    announcement = f"Added: {window.get_kind_display().lower()} {_window_text(window)}."
    if not _is_htmx(request):
        messages.success(request, announcement)
        return redirect("availability")
    return _availability_panel(request, form=AvailabilityForm(), announcement=announcement)


def _window_text(window) -> str:
    starts, ends = timezone.localtime(window.starts_at), timezone.localtime(window.ends_at)
    return f"{starts:%a %-d %b %H:%M} to {ends:%a %-d %b %H:%M}"


@require_POST
@practitioner_required
def availability_remove(request, practitioner, availability_id: int):
    window = selectors.availability_window_for(user=request.user, availability_id=availability_id)
    announcement = f"Removed: {window.get_kind_display().lower()} {_window_text(window)}."
    remove_availability(actor=request.user, availability=window, request=request)
    if not _is_htmx(request):
        messages.success(request, announcement)
        return redirect("availability")
    return _availability_panel(request, form=AvailabilityForm(), announcement=announcement)


# --- Notification preferences and the calendar link --------------------------------------------


def _calendar_context(request) -> dict:
    feed = notification_selectors.calendar_feed_for(request.user)
    url = request.build_absolute_uri(reverse("calendar-feed", args=[feed.token])) if feed else None
    return {"calendar_url": url}


@practitioner_required
def preferences(request, practitioner):
    preference = notification_services.preferences_for(request.user)
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None, preference=preference
    )
    announcement, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            preference = notification_services.set_preferences(user=request.user, **form.validated_data)
            announcement = "Your notification settings are saved."
            if not _is_htmx(request):
                messages.success(request, announcement)
                return redirect("preferences")
            form = NotificationPreferencesForm(preference=preference)
        else:
            status = 400
    context = {"form": form, "announcement": announcement, **_calendar_context(request)}
    template = "web/partials/preferences_form.html" if _is_htmx(request) else "web/preferences.html"
    return render(request, template, context, status=status)


@require_POST
@practitioner_required
def calendar_link(request, practitioner):
    """Create or replace (rotate) the secret iCal link, or turn it off."""
    if request.POST.get("action") == "revoke":
        notification_services.revoke_calendar_token(user=request.user)
        announcement = "Calendar link turned off. Calendars using it stop updating."
    else:
        notification_services.rotate_calendar_token(user=request.user)
        announcement = "New calendar link ready. Any old link has stopped working."
    if not _is_htmx(request):
        messages.success(request, announcement)
        return redirect("preferences")
    context = {"announcement": announcement, **_calendar_context(request)}
    return render(request, "web/partials/calendar_link.html", context)
