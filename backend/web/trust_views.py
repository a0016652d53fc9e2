"""Trust staff pages: post a shortfall one by one or from an e-roster CSV (preview, then confirm),
the live fill status of their shortfalls (re-fetched by htmx every few seconds) with each one's
waves, offers and booked staff, cancel, rate a completed booking, preferred and do-not-book lists."""

from __future__ import annotations

import hashlib
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.core import audit
from backend.core.errors import ApplicationError, NotFound, ValidationFailed
from backend.organisations.selectors import wards_for
from backend.practitioners.models import PractitionerListing
from backend.web import selectors, staff_selectors
from backend.web.forms import ShortfallForm
from backend.web.staff_forms import (
    CancelShortfallForm,
    ImportConfirmForm,
    ListingForm,
    NoShowForm,
    RateBookingForm,
    ShortfallImportForm,
)
from jobs.selectors import shortfall_visible_to
from jobs.services.booking_lifecycle import rate_practitioner
from jobs.services.listings import add_listing, remove_listing
from jobs.services.no_show import NO_SHOW_WINDOW, record_no_show
from jobs.services.shortfall_import import import_shortfalls, preview_shortfall_import
from jobs.services.shortfalls import cancel_shortfall, post_shortfall

POLL_SECONDS = 3
# An uploaded file waits in the cache between its preview and the confirmation (nothing is saved).
IMPORT_TTL_SECONDS = 30 * 60


def staff_required(view):
    """Trust staff, and agency staff (who may act for the agency's trusts, as in the API)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_trust_staff or request.user.is_agency_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def trust_staff_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_trust_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _import_key(user, token: str) -> str:
    return f"web:shortfall-import:{user.id}:{token}"


@trust_staff_required
def shortfall_import(request):
    """Upload: the file is checked row by row and shown as a preview. Nothing is saved yet."""
    form = (
        ShortfallImportForm(request.POST, request.FILES)
        if request.method == "POST"
        else ShortfallImportForm()
    )
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        content, filename = upload.read(), upload.name
        try:
            preview = preview_shortfall_import(user=request.user, content=content, filename=filename)
        except ValidationFailed as error:
            form.add_error("file", error.message)
        else:
            token = hashlib.sha256(content).hexdigest()
            cache.set(
                _import_key(request.user, token),
                {"content": content, "filename": filename},
                IMPORT_TTL_SECONDS,
            )
            return render(request, "web/shortfall_import_preview.html", {"preview": preview, "token": token})
    return render(request, "web/shortfall_import.html", {"form": form}, status=400 if form.errors else 200)


def _import_refused(request, message: str):
    context = {"form": ShortfallImportForm(), "import_error": message}
    return render(request, "web/shortfall_import.html", context, status=400)


@trust_staff_required
def shortfall_import_confirm(request):
    if request.method != "POST":
        return redirect("shortfall-import")
    form = ImportConfirmForm(request.POST)
    pending = cache.get(_import_key(request.user, form.data.get("token", ""))) if form.is_valid() else None
    if pending is None:
        return _import_refused(
            request, "This upload has expired or was already imported. Upload the file again."
        )
    try:
        result = import_shortfalls(user=request.user, **pending)
    except ValidationFailed as error:  # e.g. a shift in the file ended since the preview
        return _import_refused(request, error.message)
    cache.delete(_import_key(request.user, form.cleaned_data["token"]))
    parts = [f"Imported {len(result.created)} shortfall{'' if len(result.created) == 1 else 's'}."]
    if result.already_imported:
        parts.append(f"{result.already_imported} already imported, skipped.")
    if result.rejected:
        parts.append(f"{result.rejected} with errors left out.")
    messages.success(request, " ".join(parts) + (" Offers go out now." if result.created else ""))
    return redirect("shortfalls")


@staff_required
def shortfall_new(request):
    form = ShortfallForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            shortfall = post_shortfall(posted_by=request.user, **form.service_arguments())
        except ValidationFailed as error:
            for field, errors in error.extra.get("fields", {}).items():
                for message in errors:
                    form.add_error(ShortfallForm.SERVICE_FIELDS.get(field), message)
        else:
            messages.success(
                request,
                f"Shortfall posted: {shortfall.role.name} on {shortfall.ward.name}. Offers go out now.",
            )
            return redirect("shortfalls")
    return render(request, "web/shortfall_new.html", {"form": form}, status=400 if form.errors else 200)


def _status_context(request) -> dict:
    return {
        "shortfalls": selectors.fill_status(user=request.user, now=timezone.now()),
        "poll_seconds": POLL_SECONDS,
        "checked_at": timezone.now(),
    }


@staff_required
def shortfalls(request):
    return render(request, "web/shortfalls.html", _status_context(request))


@staff_required
def shortfalls_status(request):
    return render(request, "web/partials/fill_status.html", _status_context(request))


def _visible_shortfall(user, shortfall_id: int):
    try:
        return shortfall_visible_to(user, shortfall_id)
    except NotFound:
        raise Http404 from None


@staff_required
def shortfall_detail(request, shortfall_id: int):
    """One shortfall: its cascade wave by wave, offers out, who is booked (new to the ward or not)."""
    shortfall = _visible_shortfall(request.user, shortfall_id)
    context = {
        "shortfall": shortfall,
        "cancel_form": CancelShortfallForm(),
        "now": timezone.now(),
        **staff_selectors.cascade_state(shortfall=shortfall),
    }
    return render(request, "web/shortfall_detail.html", context)


@staff_required
@require_POST
def shortfall_cancel(request, shortfall_id: int):
    shortfall = _visible_shortfall(request.user, shortfall_id)
    form = CancelShortfallForm(request.POST)
    if form.is_valid():
        try:
            cancel_shortfall(
                shortfall=shortfall, cancelled_by=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            messages.error(request, f"Not cancelled: {error.message}")
        else:
            messages.success(
                request, f"Cancelled {shortfall.ward.name}: open offers withdrawn, booked staff told."
            )
            return redirect("shortfall-detail", shortfall_id=shortfall.id)
    context = {
        "shortfall": shortfall,
        "cancel_form": form,
        "now": timezone.now(),
        **staff_selectors.cascade_state(shortfall=shortfall),
    }
    return render(request, "web/shortfall_detail.html", context, status=400)


BOOKINGS_PER_PAGE = 25


def _worked_bookings_page(request, *, status: int = 200, no_show_error: dict | None = None):
    now = timezone.now()
    rows = staff_selectors.worked_bookings(user=request.user, now=now)
    page = Paginator(rows, BOOKINGS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "no_show_since": now - NO_SHOW_WINDOW, "no_show_error": no_show_error}
    return render(request, "web/trust_bookings.html", context, status=status)


@trust_staff_required
def bookings_to_rate(request):
    return _worked_bookings_page(request)


@trust_staff_required
@require_POST
def booking_no_show(request, booking_id: int):
    booking = (
        staff_selectors.worked_bookings(user=request.user, now=timezone.now()).filter(id=booking_id).first()
    )
    if booking is None:
        raise Http404
    form = NoShowForm(request.POST)
    if not form.is_valid():
        message = form.errors["reason"][0]
        return _worked_bookings_page(
            request, status=400, no_show_error={"id": booking.id, "message": message}
        )
    try:
        record_no_show(booking=booking, by=request.user, reason=form.cleaned_data["reason"], request=request)
    except ApplicationError as error:
        return _worked_bookings_page(
            request, status=error.status, no_show_error={"id": booking.id, "message": error.message}
        )
    shift = timezone.localtime(booking.starts_at).strftime("%a %-d %b %H:%M")
    messages.success(request, f"Recorded {booking.practitioner.name} as a no-show on {shift}.")
    return redirect("trust-bookings")


@trust_staff_required
def booking_rate(request, booking_id: int):
    booking = staff_selectors.bookings_to_rate(user=request.user).filter(id=booking_id).first()
    if booking is None:
        raise Http404
    form = RateBookingForm(request.POST) if request.method == "POST" else RateBookingForm()
    if form.is_bound and form.is_valid():
        try:
            rate_practitioner(booking=booking, given_by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Thank you: your rating of {booking.practitioner.name} is saved.")
            return redirect("trust-bookings")
    status = 400 if form.errors else 200
    return render(request, "web/booking_rate.html", {"booking": booking, "form": form}, status=status)


@trust_staff_required
def listings(request):
    user = request.user
    form_kwargs = {
        "practitioners": staff_selectors.practitioners_known_to(user),
        "wards": wards_for(user).order_by("name"),
    }
    form = (
        ListingForm(request.POST, **form_kwargs) if request.method == "POST" else ListingForm(**form_kwargs)
    )
    if form.is_bound and form.is_valid():
        try:
            listing = add_listing(trust_staff=user, request=request, **form.cleaned_data)
        except ValidationFailed as error:
            for field, errors in error.extra.get("fields", {}).items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                f"{listing.practitioner.name} is now on your {listing.get_kind_display().lower()} list.",
            )
            return redirect("listings")
    rows = staff_selectors.listings_for(user)
    audit.record_many(
        actor=user,
        action="read",
        subject_type="listing",
        practitioner_ids=[row.practitioner_id for row in rows],
        request=request,
    )
    context = {
        "form": form,
        "preferred": [row for row in rows if row.kind == PractitionerListing.Kind.PREFERRED],
        "blocked": [row for row in rows if row.kind == PractitionerListing.Kind.DO_NOT_BOOK],
    }
    return render(request, "web/trust_listings.html", context, status=400 if form.errors else 200)


@trust_staff_required
@require_POST
def listing_remove(request, listing_id: int):
    listing = staff_selectors.listings_for(request.user).filter(id=listing_id).first()
    if listing is None:
        raise Http404
    remove_listing(trust_staff=request.user, listing=listing, request=request)
    messages.success(
        request, f"{listing.practitioner.name} is off your {listing.get_kind_display().lower()} list."
    )
    return redirect("listings")
