"""Load matching-engine inputs from the ORM in a constant number of queries.

The engine works on a per-process snapshot (matching.engine.snapshot.PractitionerPool). PostgreSQL
stays the system of record: a snapshot is at most SNAPSHOT_TTL seconds old for ranking and offers,
and the booking service re-checks every hard rule under row locks before anything is booked.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.utils import timezone

from backend.organisations.models import Role, SettingRequirement, Trust, TrustRequirement
from backend.organisations.models import Ward as WardModel
from backend.organisations.taxonomy_data import BASELINE_CREDENTIALS
from backend.practitioners.models import Credential, PractitionerListing, WardExperience
from backend.practitioners.models import Practitioner as PractitionerModel
from jobs.models import ACTIVE_BOOKING_STATUSES, Booking, TrustFeedback
from jobs.models import Shortfall as ShortfallModel
from matching.engine import model as engine
from matching.engine.snapshot import PractitionerPool

LONDON = ZoneInfo("Europe/London")
SNAPSHOT_TTL = 30.0  # seconds
WARD_CACHE_TTL = 60.0
POLICY_CACHE_TTL = 60.0
# Bookings that can affect rest or the rolling 7-day cap of a shift starting now or later.
BOOKED_LOOKBACK = dt.timedelta(days=8)


def end_of_day(day: dt.date) -> dt.datetime:
    """A credential 'expiring 2026-11-02' is valid through that day, London time."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=LONDON)


def rules_for(trust: Trust | None = None) -> engine.Rules:
    staffing = settings.STAFFING
    max_band_above = None
    if trust is not None:
        max_band_above = {"exact": 0, "up_one": 1}.get(trust.band_policy)
    return engine.Rules(
        min_rest_hours=staffing["MIN_REST_HOURS"],
        week_hours_cap=staffing["WEEK_HOURS_CAP"],
        opt_out_max_hours=staffing["OPT_OUT_WEEK_HOURS_MAX"],
        max_band_above=max_band_above,
    )


def weights_for(trust: Trust) -> engine.Weights:
    known = engine.Weights().as_dict()
    overrides = {name: float(value) for name, value in (trust.score_weights or {}).items() if name in known}
    return engine.Weights(**{**known, **overrides})


def engine_ward(ward: WardModel) -> engine.Ward:
    return engine.Ward(
        id=str(ward.id),
        trust=str(ward.trust_id),
        setting=ward.setting.code,
        lat=ward.latitude,
        lon=ward.longitude,
        name=ward.name,
        trust_name=ward.trust.name,
        gender=ward.gender,
        needs=frozenset(ward.needs or ()),
        aliases=tuple(ward.aliases or ()),
    )


def all_engine_wards() -> list[engine.Ward]:
    return [engine_ward(w) for w in WardModel.objects.select_related("trust", "setting")]


class _WardCache:
    """Every ward as an engine.Ward, per process, refreshed after WARD_CACHE_TTL seconds or on a
    miss (a ward created since): wards change rarely and every ranking needs them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wards: dict[int, engine.Ward] = {}
        self._built_at = 0.0

    def get(self, ward_ids: Iterable[int] = ()) -> dict[int, engine.Ward]:
        with self._lock:
            stale = time.monotonic() - self._built_at > WARD_CACHE_TTL
            if stale or any(ward_id not in self._wards for ward_id in ward_ids):
                self._wards = {int(w.id): w for w in all_engine_wards()}
                self._built_at = time.monotonic()
            return self._wards

    def invalidate(self) -> None:
        with self._lock:
            self._built_at = 0.0
            self._wards = {}


ward_cache = _WardCache()


Requirements = tuple[dict[tuple[str, int | None], set[str]], dict[int, list[tuple[str | None, str]]]]


def _requirements() -> Requirements:
    presets: dict[tuple[str, int | None], set[str]] = defaultdict(set)
    for setting, role_id, code in SettingRequirement.objects.values_list(
        "setting__code", "role_id", "credential_type__code"
    ):
        presets[(setting, role_id)].add(code)
    extras: dict[int, list[tuple[str | None, str]]] = defaultdict(list)
    for trust_id, setting, code in TrustRequirement.objects.values_list(
        "trust_id", "setting__code", "credential_type__code"
    ):
        extras[trust_id].append((setting, code))
    return presets, extras


def required_credentials(
    requirements: Requirements, *, setting: str, role_id: int, trust_id: int
) -> frozenset[str]:
    """Every credential a shift needs: the baseline, the setting presets (all roles, or this role)
    and the trust's extras (all settings, or this one)."""
    presets, extras = requirements
    requires = set(BASELINE_CREDENTIALS)
    requires |= presets.get((setting, None), set()) | presets.get((setting, role_id), set())
    requires |= {code for extra_setting, code in extras.get(trust_id, ()) if extra_setting in (None, setting)}
    return frozenset(requires)


def engine_shortfall(
    s: ShortfallModel, *, role: str, requires: frozenset[str], competences: Iterable[str]
) -> engine.Shortfall:
    return engine.Shortfall(
        id=str(s.id),
        ward=str(s.ward_id),
        role=role,
        min_band=s.min_band,
        start=s.starts_at,
        end=s.ends_at,
        headcount=s.headcount,
        requires=requires,
        desired_competences=frozenset(competences),
        gender=s.gender_requirement or None,
        rate_cap=float(s.rate_cap) if s.rate_cap is not None else None,
        extra_radius_km=float(s.extra_radius_km),
    )


def engine_shortfalls(shortfalls: Iterable[ShortfallModel]) -> list[engine.Shortfall]:
    """Engine shortfalls with every required credential folded in. A fixed number of small
    queries; wards come from the ward cache, so the shortfall rows need no joins."""
    shortfalls = list(shortfalls)
    requirements = _requirements()
    roles = dict(Role.objects.values_list("id", "code"))
    wards = ward_cache.get({s.ward_id for s in shortfalls})
    competences: dict[int, set[str]] = defaultdict(set)
    through = ShortfallModel.desired_competences.through
    for shortfall_id, code in through.objects.filter(shortfall_id__in=[s.id for s in shortfalls]).values_list(
        "shortfall_id", "competence__code"
    ):
        competences[shortfall_id].add(code)
    return [
        engine_shortfall(
            s,
            role=roles[s.role_id],
            requires=required_credentials(
                requirements, setting=wards[s.ward_id].setting, role_id=s.role_id, trust_id=s.trust_id
            ),
            competences=competences.get(s.id, ()),
        )
        for s in shortfalls
    ]


@dataclass(frozen=True)
class Policies:
    """What every ranking of open shifts reads besides the shifts themselves: credential
    requirements, role codes and each trust's rules and weights."""

    requirements: Requirements
    role_codes: dict[int, str]
    by_trust: dict[int, tuple[engine.Rules, engine.Weights]]


class _PolicyCache:
    """Policies per process, rebuilt after POLICY_CACHE_TTL seconds or when a trust is missing
    (like the ward cache: they change rarely; the booking service re-checks every rule fresh)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._policies: Policies | None = None
        self._built_at = 0.0

    def get(self, trust_ids: Iterable[int] = ()) -> Policies:
        with self._lock:
            policies = self._policies
            stale = policies is None or time.monotonic() - self._built_at > POLICY_CACHE_TTL
            if stale or any(trust_id not in policies.by_trust for trust_id in trust_ids):
                policies = self._policies = Policies(
                    requirements=_requirements(),
                    role_codes=dict(Role.objects.values_list("id", "code")),
                    by_trust={t.id: (rules_for(t), weights_for(t)) for t in Trust.objects.all()},
                )
                self._built_at = time.monotonic()
            return policies

    def invalidate(self) -> None:
        with self._lock:
            self._policies = None


policy_cache = _PolicyCache()


PRACTITIONER_FIELDS = (  # the row load_practitioners reads and to_engine_practitioner takes
    "id",
    "role__code",
    "band",
    "gender",
    "home_latitude",
    "home_longitude",
    "travel_radius_km",
    "opted_out_of_weekly_cap",
    "status",
    "registration_body",
    "registration_expires_on",
    "hourly_rate",
    "shift_preference",
)
_SHIFT_TIME = {"days": "day", "nights": "night"}


def add_credential(held: dict[str, dt.datetime], code: str, expires_on: dt.date | None) -> None:
    """A verified credential, valid through the end of its expiry day; the latest of several wins."""
    expiry = end_of_day(expires_on) if expires_on else dt.datetime.max.replace(tzinfo=dt.UTC)
    if code not in held or held[code] < expiry:
        held[code] = expiry


def to_engine_practitioner(
    row: tuple,
    *,
    credentials: dict[str, dt.datetime],
    competences: Iterable[str],
    declared: Iterable[str],
    preferred: Iterable[str],
    blocked_trusts: Iterable[str],
    blocked_wards: Iterable[str],
    booked: Iterable[engine.Interval],
    history: Iterable[engine.WardHistory],
    rating: tuple[int, object],
    reliability: engine.Reliability,
) -> engine.Practitioner:
    """One engine practitioner from a PRACTITIONER_FIELDS row and its related rows."""
    (_, role, band, gender, lat, lon, radius, opted_out, status, body, registration_expires, rate, pref) = row
    count, mean = rating
    return engine.Practitioner(
        id=str(row[0]),
        role=role,
        band=band,
        gender=gender or None,
        lat=lat,
        lon=lon,
        radius_km=float(radius),
        has_opted_out=opted_out,
        status=status,
        registration_expires=(
            end_of_day(registration_expires)
            if registration_expires
            else (dt.datetime.min.replace(tzinfo=dt.UTC) if body else None)
        ),
        credentials=dict(credentials),
        competences=frozenset(competences),
        settings_experience=frozenset(declared),
        blocked_trusts=frozenset(blocked_trusts),
        blocked_wards=frozenset(blocked_wards),
        booked=tuple(sorted(booked, key=lambda b: b.start)),
        history=tuple(history),
        rating_count=count,
        rating_mean=float(mean) if mean is not None else None,
        reliability=reliability,
        preferences=engine.Preferences(
            preferred_settings=frozenset(preferred), shift_time=_SHIFT_TIME.get(pref)
        ),
        hourly_rate=float(rate) if rate is not None else None,
    )


def load_practitioners(
    *,
    now: dt.datetime,
    role_codes: Iterable[str] | None = None,
    practitioner_ids: Iterable[int] | None = None,
) -> list[engine.Practitioner]:
    """Active practitioners (optionally of some roles, or just some ids) as engine inputs.
    A fixed number of queries whatever the pool size: one per related table."""
    people = PractitionerModel.objects.filter(status=PractitionerModel.Status.ACTIVE)
    if role_codes is not None:
        people = people.filter(role__code__in=list(role_codes))
    if practitioner_ids is not None:
        people = people.filter(id__in=list(practitioner_ids))
    rows = list(people.order_by("id").values_list(*PRACTITIONER_FIELDS))
    id_filter = Q(practitioner_id__in=people.values("id"))

    credentials: dict[int, dict[str, dt.datetime]] = defaultdict(dict)
    for pid, code, expires_on in Credential.objects.filter(id_filter, verified_at__isnull=False).values_list(
        "practitioner_id", "credential_type__code", "expires_on"
    ):
        add_credential(credentials[pid], code, expires_on)

    def m2m(field: str) -> dict[int, set[str]]:
        through = getattr(PractitionerModel, field).through
        grouped: dict[int, set[str]] = defaultdict(set)
        target = "competence__code" if field == "competences" else "setting__code"
        for pid, code in through.objects.filter(id_filter).values_list("practitioner_id", target):
            grouped[pid].add(code)
        return grouped

    competences, declared, preferred = (
        m2m("competences"),
        m2m("settings_experience"),
        m2m("preferred_settings"),
    )

    blocked_trusts: dict[int, set[str]] = defaultdict(set)
    blocked_wards: dict[int, set[str]] = defaultdict(set)
    for pid, trust_id, ward_id in (
        PractitionerListing.objects.filter(id_filter, kind=PractitionerListing.Kind.DO_NOT_BOOK)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("practitioner_id", "trust_id", "ward_id")
    ):
        if ward_id is None:
            blocked_trusts[pid].add(str(trust_id))
        else:
            blocked_wards[pid].add(str(ward_id))

    booked: dict[int, list[engine.Interval]] = defaultdict(list)
    for pid, start, end in Booking.objects.filter(
        id_filter, status__in=ACTIVE_BOOKING_STATUSES, ends_at__gt=now - BOOKED_LOOKBACK
    ).values_list("practitioner_id", "starts_at", "ends_at"):
        booked[pid].append(engine.Interval(start, end))

    history: dict[int, list[engine.WardHistory]] = defaultdict(list)
    for pid, ward_id, shifts, last, rating in WardExperience.objects.filter(id_filter).values_list(
        "practitioner_id", "ward_id", "shifts_worked", "last_worked_at", "last_rating"
    ):
        history[pid].append(engine.WardHistory(str(ward_id), shifts, last, rating))

    ratings = {
        pid: (count, mean)
        for pid, count, mean in TrustFeedback.objects.filter(booking__practitioner_id__in=people.values("id"))
        .values("booking__practitioner_id")
        .annotate(count=Count("id"), mean=Avg("rating"))
        .values_list("booking__practitioner_id", "count", "mean")
    }
    reliability = {
        pid: engine.Reliability(completed, late, no_shows)
        for pid, completed, late, no_shows in Booking.objects.filter(id_filter)
        .values("practitioner_id")
        .annotate(
            completed=Count("id", filter=Q(status=Booking.Status.COMPLETED)),
            late=Count("id", filter=Q(is_late_cancellation=True)),
            no_shows=Count("id", filter=Q(status=Booking.Status.NO_SHOW)),
        )
        .values_list("practitioner_id", "completed", "late", "no_shows")
    }

    result = [
        to_engine_practitioner(
            row,
            credentials=credentials.get(row[0], {}),
            competences=competences.get(row[0], ()),
            declared=declared.get(row[0], ()),
            preferred=preferred.get(row[0], ()),
            blocked_trusts=blocked_trusts.get(row[0], ()),
            blocked_wards=blocked_wards.get(row[0], ()),
            booked=booked.get(row[0], ()),
            history=history.get(row[0], ()),
            rating=ratings.get(row[0], (0, None)),
            reliability=reliability.get(row[0], engine.Reliability()),
        )
        for row in rows
    ]
    return result


class _SnapshotCache:
    """One PractitionerPool per process. The first caller builds it; after SNAPSHOT_TTL seconds the
    next caller starts a rebuild in a background thread and keeps serving the current pool until
    the new one is ready (stale-while-revalidate: no request waits for a 50,000-row reload)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: PractitionerPool | None = None
        self._built_at = 0.0
        self._refreshing = False
        self._generation = 0

    @staticmethod
    def _build() -> PractitionerPool:
        now = timezone.now()
        return PractitionerPool(load_practitioners(now=now), ward_cache.get().values(), now)

    def get(self) -> PractitionerPool:
        with self._lock:
            if self._pool is None:
                self._pool, self._built_at = self._build(), time.monotonic()
                return self._pool
            if time.monotonic() - self._built_at > SNAPSHOT_TTL and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, args=(self._generation,), daemon=True).start()
            return self._pool

    def _refresh(self, generation: int) -> None:
        from django.db import connection

        try:
            pool = self._build()
            with self._lock:
                if generation == self._generation:  # not invalidated meanwhile
                    self._pool, self._built_at = pool, time.monotonic()
        finally:
            with self._lock:
                self._refreshing = False
            connection.close()

    def invalidate(self) -> None:
        with self._lock:
            self._pool = None
            self._generation += 1


snapshot = _SnapshotCache()
