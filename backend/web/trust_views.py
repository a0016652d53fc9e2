"""Trust staff pages: post a shortfall one by one or from an e-roster CSV (preview, then confirm),
the live fill status of their shortfalls (re-fetched by htmx every few seconds) with each one's
waves, offers and booked staff, cancel, rate a completed booking, preferred and do-not-book lists."""

from __future__ import annotations

import hashlib
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from backend.core.errors import ValidationFailed
from backend.web import selectors
from backend.web.forms import ShortfallForm
from backend.web.staff_forms import ImportConfirmForm, ShortfallImportForm
from jobs.services.shortfall_import import import_shortfalls, preview_shortfall_import
from jobs.services.shortfalls import post_shortfall

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
