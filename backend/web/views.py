"""Server-rendered portal pages: log in / out and a landing page per kind of user."""

from __future__ import annotations

import datetime as dt
import hashlib

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone

from backend.core import audit
from backend.web import selectors
from jobs.models import Booking, Shortfall

LOGIN_FAILURE_LIMIT = 10
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
LOGIN_LOCKOUT_SECONDS = 15 * 60
# One message for an unknown user, a wrong password and a locked-out attempt: never reveal which
# usernames exist or that the throttle fired (the same words as the API's InvalidCredentials).
INVALID_LOGIN_MESSAGE = "Username or password is incorrect."
# The agency's fill-rate table covers recent weeks and the weeks already posted ahead.
FILL_RATE_WEEKS_BACK = 8
FILL_RATE_WEEKS_AHEAD = 2


def _throttle_keys(username: str, request) -> tuple[str, str]:
    # REMOTE_ADDR, not X-Forwarded-For: a client controls that header and could rotate it to
    # dodge the throttle. Hashed so usernames never sit in the cache as plain text.
    ip = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    digest = hashlib.sha256(f"{username.strip().lower()}|{ip}".encode()).hexdigest()
    return f"web-login:failures:{digest}", f"web-login:locked:{digest}"


def _is_locked_out(username: str, request) -> bool:
    _, locked_key = _throttle_keys(username, request)
    return cache.get(locked_key) is not None


def _record_failure(username: str, request) -> None:
    failures_key, locked_key = _throttle_keys(username, request)
    # add() is a no-op when the window is already open; incr() is atomic in Redis and locmem, so
    # concurrent failures all count. The window runs from the first failure.
    cache.add(failures_key, 0, timeout=LOGIN_FAILURE_WINDOW_SECONDS)
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # the window expired between add() and incr(): this failure opens a new one
        cache.add(failures_key, 1, timeout=LOGIN_FAILURE_WINDOW_SECONDS)
        failures = 1
    if failures >= LOGIN_FAILURE_LIMIT:
        cache.add(locked_key, 1, timeout=LOGIN_LOCKOUT_SECONDS)


def _clear_failures(username: str, request) -> None:
    failures_key, _ = _throttle_keys(username, request)
    cache.delete(failures_key)


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": INVALID_LOGIN_MESSAGE,
        "inactive": INVALID_LOGIN_MESSAGE,
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})
        self.fields["password"].widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if _is_locked_out(username, self.request):
            audit.record(
                actor=None,
                action="login_failed",
                subject_type="user",
                subject_id=username[:60],
                request=self.request,
                detail={"locked_out": True},
            )
            raise ValidationError(INVALID_LOGIN_MESSAGE, code="invalid_login")
        try:
            cleaned = super().clean()
        except ValidationError:
            _record_failure(username, self.request)
            audit.record(
                actor=None,
                action="login_failed",
                subject_type="user",
                subject_id=username[:60],
                request=self.request,
            )
            raise
        _clear_failures(username, self.request)
        return cleaned


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        audit.record(
            actor=user, action="login", subject_type="user", subject_id=user.id, request=self.request
        )
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link or an <img src> cannot log anyone out."""


def _practitioner_context(user) -> dict:
    practitioner = getattr(user, "practitioner", None)
    if practitioner is None:
        return {"practitioner": None, "bookings": []}
    bookings = (
        Booking.objects.filter(
            practitioner=practitioner, status=Booking.Status.CONFIRMED, ends_at__gte=timezone.now()
        )
        .select_related("shortfall__ward__site", "shortfall__trust", "shortfall__role")
        .order_by("starts_at")[:20]
    )
    return {"practitioner": practitioner, "bookings": list(bookings)}


def _trust_staff_context(user) -> dict:
    shortfalls = Shortfall.objects.filter(trust_id=user.trust_id, status__in=Shortfall.OPEN_STATUSES)
    ward_ids = list(user.wards.values_list("id", flat=True))
    if ward_ids:  # staff limited to some wards see only those (accounts.User.wards)
        shortfalls = shortfalls.filter(ward_id__in=ward_ids)
    shortfalls = shortfalls.select_related("ward", "role").order_by("-posted_at", "-id")[:20]
    return {"trust": user.trust, "shortfalls": list(shortfalls)}


def _agency_staff_context(user) -> dict:
    open_by_trust = (
        Shortfall.objects.filter(trust__agency_id=user.agency_id, status__in=Shortfall.OPEN_STATUSES)
        .values("trust__name")
        .annotate(open_count=Count("id"))
        .order_by("-open_count", "trust__name")
    )
    today = timezone.localdate()
    start = today - dt.timedelta(weeks=FILL_RATE_WEEKS_BACK)
    end = today + dt.timedelta(weeks=FILL_RATE_WEEKS_AHEAD)
    return {
        "agency": user.agency,
        "open_by_trust": list(open_by_trust),
        "fill_rates": selectors.fill_rate_by_trust_week(user=user, start=start, end=end),
        "fill_rate_start": start,
        "fill_rate_end": end,
    }


@login_required
def home(request):
    user = request.user
    if user.is_practitioner:
        return render(request, "web/home_practitioner.html", _practitioner_context(user))
    if user.is_trust_staff:
        return render(request, "web/home_trust.html", _trust_staff_context(user))
    if user.is_agency_staff:
        return render(request, "web/home_agency.html", _agency_staff_context(user))
    return render(request, "web/home_other.html")
