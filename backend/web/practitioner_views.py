"""Practitioner pages: roles ranked for you (with reasons) and the offer inbox. Accept and decline
answer htmx requests with a fragment that replaces the offer in place (no full reload)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.core.errors import ApplicationError, OfferWithdrawn, ShortfallFilled
from backend.web import selectors
from backend.web.forms import RolesFilterForm
from jobs.services.offers import accept_offer, decline_offer
from matching.services import roles_for

ROLES_PER_PAGE = 10


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
        {"offers": list(selectors.open_offers(practitioner=practitioner, now=timezone.now()))},
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
