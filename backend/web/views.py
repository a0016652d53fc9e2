"""Server-rendered portal pages: log in / out and a landing page per kind of user."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone

from backend.accounts import lockout
from backend.core import audit
from backend.web import selectors
from jobs.models import Shortfall

# One message for an unknown user, a wrong password and a locked-out attempt: never reveal which
# usernames exist or that the throttle fired (the same words as the API's InvalidCredentials).
INVALID_LOGIN_MESSAGE = "Username or password is incorrect."
# The agency's fill-rate table covers recent weeks and the weeks already posted ahead.
FILL_RATE_WEEKS_BACK = 8
FILL_RATE_WEEKS_AHEAD = 2


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
        # The lockout (backend/accounts/lockout.py) takes an attempt slot before the password is
        # checked, so a parallel burst cannot get more than its limit of guesses through.
        username = self.cleaned_data.get("username") or ""
        if not lockout.claim_attempt(username=username, request=self.request):
            lockout.record_failed_login(username, self.request, locked_out=True)
            raise ValidationError(INVALID_LOGIN_MESSAGE, code="invalid_login")
        try:
            cleaned = super().clean()
        except ValidationError:
            lockout.record_failed_login(username, self.request, locked_out=False)
            raise
        lockout.clear_attempts(username=username, request=self.request)
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


def _practitioner_context(request) -> dict:
    user = request.user
    practitioner = getattr(user, "practitioner", None)
    if practitioner is None:
        return {"practitioner": None, "bookings": []}
    credentials = selectors.own_credentials(user=user, today=timezone.localdate())
    audit.record_many(
        actor=user,
        action="read",
        subject_type="credential",
        practitioner_ids=[practitioner.id] if credentials else [],
        request=request,
    )
    return {
        "practitioner": practitioner,
        "bookings": list(selectors.upcoming_bookings(user=user, now=timezone.now())[:20]),
        "credentials_needing_attention": [c for c in credentials if c.expiry_status != "valid"],
    }


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
        return render(request, "web/home_practitioner.html", _practitioner_context(request))
    if user.is_trust_staff:
        return render(request, "web/home_trust.html", _trust_staff_context(user))
    if user.is_agency_staff:
        return render(request, "web/home_agency.html", _agency_staff_context(user))
    return render(request, "web/home_other.html")
