"""Trust staff pages: post a shortfall, and the live fill status of their shortfalls (the status
table is re-fetched by htmx every few seconds)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from backend.core.errors import ValidationFailed
from backend.web import selectors
from backend.web.forms import ShortfallForm
from jobs.services.shortfalls import post_shortfall

POLL_SECONDS = 3


def staff_required(view):
    """Trust staff, and agency staff (who may act for the agency's trusts, as in the API)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_trust_staff or request.user.is_agency_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


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
