"""Agency staff pages: the fill-rate dashboard (inline SVG charts, the same numbers as tables and
CSV), the urgent unfilled queue with broaden / escalate, a shortfall's candidates with reasons and
blockers, credentials expiring soon with an audited verify action, and the delivery log."""

from __future__ import annotations

import datetime as dt
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from backend.core import audit
from backend.core.errors import ApplicationError, NotFound, ValidationFailed
from backend.organisations.selectors import trusts_for
from backend.practitioners.selectors import credentials_for
from backend.practitioners.services import verify_credential
from backend.web import charts
from backend.web import staff_selectors as selectors
from backend.web.staff_forms import BroadenForm
from jobs.analytics import selectors as analytics
from jobs.selectors import shortfall_visible_to
from jobs.services.cascade import broaden_shortfall
from jobs.services.escalation import escalate_shortfall
from notifications.models import Delivery

PER_PAGE = 25
MAX_DASHBOARD_DAYS = 731
URGENT_WINDOWS = {"24": 24, "48": 48, "72": 72, "168": 168}
EXPIRY_WINDOWS = {"14": 14, "30": 30, "60": 60, "90": 90}


def agency_staff_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_agency_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, rows, per_page: int = PER_PAGE):
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def _visible_shortfall(user, shortfall_id: int):
    try:
        return shortfall_visible_to(user, shortfall_id)
    except NotFound:
        raise Http404 from None


# --- Dashboard -----------------------------------------------------------------------------------


class DashboardForm(forms.Form):
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    period = forms.ChoiceField(label="Per", choices=[("week", "Week"), ("month", "Month")], required=False)
    trust = forms.ModelChoiceField(label="Trust", queryset=None, required=False, empty_label="Every trust")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trust"].queryset = trusts_for(user).order_by("name")

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        end = cleaned.get("date_to") or today + dt.timedelta(weeks=2)
        start = cleaned.get("date_from") or end - dt.timedelta(weeks=12) + dt.timedelta(days=1)
        if end < start:
            self.add_error("date_to", "The end date must be on or after the start date.")
        elif (end - start).days + 1 > MAX_DASHBOARD_DAYS:
            self.add_error("date_from", "Choose at most two years at once.")
        cleaned["start"], cleaned["end"] = start, end
        cleaned["period"] = cleaned.get("period") or "week"
        return cleaned


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


@agency_staff_required
def dashboard(request):
    form = DashboardForm(request.GET, user=request.user)  # always bound: empty means the default range
    if not form.is_valid():
        return render(request, "web/agency_dashboard.html", {"form": form}, status=400)
    start, end, period = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["period"]
    trust = form.cleaned_data.get("trust")
    trust_id = trust.id if trust else None
    user = request.user

    over_time = selectors.fill_rate_over_time(
        user=user, start=start, end=end, period=period, trust_id=trust_id
    )
    labels = [row["period_start"].strftime("%-d %b" if period == "week" else "%b %Y") for row in over_time]
    trend = charts.line_chart(
        labels,
        [
            charts.Series("Fill rate", [row.get("fill_rate") for row in over_time]),
            charts.Series(
                "Continuity (90 days)", [row.get("continuity_rate_90") for row in over_time], "alt"
            ),
        ],
    )
    by_group = {}
    for dimension in ("trust", "ward", "role"):
        rows = selectors.fill_rate_by(user=user, dimension=dimension, start=start, end=end, trust_id=trust_id)
        bars = charts.horizontal_bars(
            [(row.label, row.fill_rate or 0, f"{_percent(row.fill_rate)}") for row in rows]
        )
        note = (
            f"The {len(rows)} {dimension}s with the most slots requested; the CSV has them all."
            if len(rows) == selectors.BY_GROUP_LIMIT
            else ""
        )
        by_group[dimension] = {"rows": rows, "chart": bars, "note": note}
    distribution = selectors.time_to_fill_distribution(user=user, start=start, end=end, trust_id=trust_id)
    totals = analytics.fill_rate_table(
        user=user, group_by=[], period="month", start=start, end=end, trust_id=trust_id
    )
    requested = sum(m["slots_requested"] for m in totals.values())
    filled = sum(m["slots_filled"] for m in totals.values())
    continuous = sum((m["continuity_rate_90"] or 0) * m["slots_filled"] for m in totals.values())
    query = {"from": start.isoformat(), "to": end.isoformat(), "period": period}
    if trust_id is not None:
        query["trust"] = trust_id
    csv_base = reverse("fill-rates")
    context = {
        "form": form,
        "start": start,
        "end": end,
        "period": period,
        "trust": trust,
        "over_time": over_time,
        "trend": trend,
        "by_group": by_group,
        "distribution": distribution,
        "histogram": charts.histogram(distribution),
        "filled_total": sum(count for _, count in distribution),
        "summary": {
            "requested": requested,
            "filled": filled,
            "fill_rate": _percent(filled / requested if requested else None),
            "continuity": _percent(round(continuous) / filled if filled else None),
        },
        "csv_links": {
            "over time": f"{csv_base}?{urlencode({**query, 'format': 'csv'})}",
            **{
                f"by {dimension}": f"{csv_base}?{urlencode({**query, 'group_by': dimension, 'format': 'csv'})}"
                for dimension in ("trust", "ward", "role")
            },
        },
    }
    return render(request, "web/agency_dashboard.html", context)


# --- Urgent queue, broaden, escalate -------------------------------------------------------------


@agency_staff_required
def urgent(request):
    window = request.GET.get("within", "72")
    if window not in URGENT_WINDOWS:
        window = "72"
    now = timezone.now()
    rows = analytics.urgent_shortfalls(
        user=request.user, now=now, within=dt.timedelta(hours=URGENT_WINDOWS[window])
    )
    context = {
        "page": _page(request, rows),
        "within": window,
        "windows": URGENT_WINDOWS,
        "now": now,
        "broaden_form": BroadenForm(),
    }
    return render(request, "web/agency_urgent.html", context)


def _back_to(request, default: str) -> str:
    target = request.POST.get("next", "")
    # Only this site's own paths: never an open redirect ("//evil", "/\\evil" included).
    is_safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if is_safe else default


@agency_staff_required
@require_POST
def broaden(request, shortfall_id: int):
    shortfall = _visible_shortfall(request.user, shortfall_id)
    form = BroadenForm(request.POST)
    back = _back_to(request, reverse("shortfall-detail", args=[shortfall.id]))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"Not broadened: {error}")
        return redirect(back)
    try:
        broaden_shortfall(
            shortfall=shortfall,
            by=request.user,
            extra_radius_km=form.cleaned_data.get("extra_radius_km"),
            min_band=form.cleaned_data.get("min_band"),
        )
    except ValidationFailed as error:
        details = [m for messages_ in error.extra.get("fields", {}).values() for m in messages_]
        messages.error(request, "Not broadened: " + " ".join(details or [error.message]))
    except ApplicationError as error:
        messages.error(request, f"Not broadened: {error.message}")
    else:
        messages.success(request, f"Broadened {shortfall.ward.name}: matching runs again now.")
    return redirect(back)


@agency_staff_required
@require_POST
def escalate(request, shortfall_id: int):
    shortfall = _visible_shortfall(request.user, shortfall_id)
    back = _back_to(request, reverse("urgent"))
    try:
        escalate_shortfall(shortfall=shortfall, by=request.user)
    except ApplicationError as error:
        messages.error(request, f"Not escalated: {error.message}")
    else:
        messages.success(request, f"Escalated {shortfall.ward.name}: offers go to everyone eligible now.")
    return redirect(back)


# --- Candidates ----------------------------------------------------------------------------------


@agency_staff_required
def candidates(request, shortfall_id: int):
    shortfall = _visible_shortfall(request.user, shortfall_id)
    eligible, ineligible, eligible_count = selectors.candidates(shortfall=shortfall)
    audit.record_many(
        actor=request.user,
        action="read",
        subject_type="candidate",
        practitioner_ids=[row.practitioner.id for row in [*eligible, *ineligible]],
        request=request,
    )
    context = {
        "shortfall": shortfall,
        "eligible": eligible,
        "ineligible": ineligible,
        "eligible_count": eligible_count,
    }
    return render(request, "web/agency_candidates.html", context)


# --- Credentials expiring soon -------------------------------------------------------------------


@agency_staff_required
def credentials(request):
    window = request.GET.get("within", "30")
    if window not in EXPIRY_WINDOWS:
        window = "30"
    today = timezone.localdate()
    rows = selectors.credentials_expiring(user=request.user, today=today, within_days=EXPIRY_WINDOWS[window])
    is_unverified_only = request.GET.get("unverified") == "1"
    if is_unverified_only:
        rows = rows.filter(verified_at__isnull=True)
    page = _page(request, rows)
    audit.record_many(
        actor=request.user,
        action="read",
        subject_type="credential",
        practitioner_ids=[credential.practitioner_id for credential in page],
        request=request,
    )
    filter_query = urlencode({"within": window, **({"unverified": "1"} if is_unverified_only else {})})
    context = {
        "page": page,
        "within": window,
        "windows": EXPIRY_WINDOWS,
        "today": today,
        "is_unverified_only": is_unverified_only,
        "filter_query": filter_query,
    }
    return render(request, "web/agency_credentials.html", context)


@agency_staff_required
@require_POST
def credential_verify(request, credential_id: int):
    credential = (
        credentials_for(request.user).filter(id=credential_id).select_related("practitioner__user").first()
    )
    if credential is None:  # another agency's credential, or none at all
        raise Http404
    try:
        verify_credential(actor=request.user, credential=credential, request=request)
    except ApplicationError as error:
        messages.error(request, f"Not verified: {error.message}")
    else:
        messages.success(
            request, f"Verified {credential.credential_type.name} for {credential.practitioner.name}."
        )
    return redirect(_back_to(request, reverse("agency-credentials")))


# --- Delivery log --------------------------------------------------------------------------------


@agency_staff_required
def deliveries(request):
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    if status not in Delivery.Status.values:
        status = ""
    if channel not in Delivery.Channel.values:
        channel = ""
    rows = selectors.delivery_log(user=request.user, status=status, channel=channel)
    query = urlencode({k: v for k, v in {"status": status, "channel": channel}.items() if v})
    context = {
        "page": _page(request, rows),
        "status": status,
        "channel": channel,
        "statuses": Delivery.Status.choices,
        "channels": Delivery.Channel.choices,
        "filter_query": query,
    }
    return render(request, "web/agency_deliveries.html", context)
