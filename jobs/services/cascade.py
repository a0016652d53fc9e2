"""The familiar-first offer cascade.

Wave 0: practitioners who know the ward (continuity) or are on the trust's preferred list, each
with an exclusive hold; the holds of many shortfalls are placed by the engine's batch assignment,
so one practitioner is never holding two clashing shifts. Wave 1: the top K by score. Wave 2: every
eligible practitioner. Timing scales with lead time; a beat sweep (`advance_due_cascades`) moves
shortfalls whose `next_wave_at` has passed. Very close shifts get every wave at once and a
safe-staffing alert.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.core import outbox
from backend.core.errors import ShortfallClosed, ValidationFailed
from backend.practitioners.models import PractitionerListing
from jobs.models import ACTIVE_BOOKING_STATUSES, Booking, Offer, Shortfall
from matching import candidates as adapter
from matching.engine import model as engine
from matching.engine.assign import EdgeSet, assign_edges, build_edges
from matching.engine.rank import rank_candidates
from matching.engine.snapshot import PractitionerPool
from notifications.models import NotificationPreference
from notifications.services import is_quiet_time

logger = logging.getLogger(__name__)
FAMILIAR, TOP_K, EVERYONE = 0, 1, 2
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class CascadePolicy:
    """Defaults; a trust overrides any of them in Trust.cascade_settings."""

    hold_minutes: int = 30  # exclusive hold for familiar staff (shorter when the shift is close)
    wave1_size: int = 10
    # Minutes from one wave to the next, by lead time (start - now).
    gap_over_72h: int = 180
    gap_24_to_72h: int = 60
    gap_6_to_24h: int = 15
    all_at_once_under_hours: int = 6
    offer_ttl_minutes: int = 12 * 60  # open offers (waves 1-2) stay valid this long at most
    # 1: no familiar-first holds and no top K; every eligible practitioner is offered the shift at
    # once, first come first served (what most agencies do; the operations simulator's baseline).
    broadcast: int = 0
    # 1 (default since the operations simulator showed that without it the cascade loses 5-7 points
    # of fill against broadcast, BENCHMARKS.md): a familiar practitioner whose exclusive hold lapsed
    # unanswered is offered the shift again in the next open wave (once), so an answer that comes
    # just after the hold is not lost.
    reoffer_lapsed_holds: int = 1
    # 1: a hold sent inside its recipient's quiet hours (notification preferences, Europe/London)
    # runs from the end of those hours instead of lapsing overnight, when the shift still starts
    # more than `all_at_once_under_hours` after the hold; the next wave waits for it.
    holds_wait_out_quiet_hours: int = 0

    @classmethod
    def for_trust(cls, trust) -> CascadePolicy:
        known = set(cls.__dataclass_fields__)
        overrides = {k: int(v) for k, v in (trust.cascade_settings or {}).items() if k in known}
        return replace(cls(), **overrides)

    def wave_gap(self, lead: dt.timedelta) -> dt.timedelta:
        if lead > 72 * HOUR:
            return self.gap_over_72h * MINUTE
        if lead > 24 * HOUR:
            return self.gap_24_to_72h * MINUTE
        return self.gap_6_to_24h * MINUTE

    def is_all_at_once(self, lead: dt.timedelta) -> bool:
        return lead < self.all_at_once_under_hours * HOUR

    def hold(self, lead: dt.timedelta) -> dt.timedelta:
        return min(self.hold_minutes * MINUTE, self.wave_gap(lead))

    def offer_expiry(self, *, now: dt.datetime, starts_at: dt.datetime) -> dt.datetime:
        # Never past one hour before the start: a late "yes" is no use to the ward.
        return max(now + 5 * MINUTE, min(now + self.offer_ttl_minutes * MINUTE, starts_at - HOUR))


def start_cascade(*, shortfall: Shortfall, now: dt.datetime) -> None:
    """Make the shortfall due for its first wave; the worker sends it (after commit, via outbox)."""
    Shortfall.objects.filter(id=shortfall.id).update(next_wave_at=now, updated_at=now)
    outbox.enqueue("jobs.advance_cascades", queue="offers")


def _open_slots(shortfall: Shortfall) -> int:
    return shortfall.headcount - shortfall.bookings.filter(status__in=ACTIVE_BOOKING_STATUSES).count()


def _already_offered(shortfall_ids: list[int]) -> dict[int, dict[int, str]]:
    offered: dict[int, dict[int, str]] = {}
    for shortfall_id, practitioner_id, status in Offer.objects.filter(
        shortfall_id__in=shortfall_ids
    ).values_list("shortfall_id", "practitioner_id", "status"):
        offered.setdefault(shortfall_id, {})[practitioner_id] = status
    return offered


def _pool_with_holds(pool: PractitionerPool, now: dt.datetime) -> PractitionerPool:
    """The snapshot plus every open exclusive hold and every booking made since the snapshot was
    taken, as if booked: new holds never clash with holds already out or with fresh bookings."""
    holds: dict[str, list[engine.Interval]] = {}
    for practitioner_id, start, end in Offer.objects.filter(
        is_exclusive_hold=True, status__in=Offer.OPEN_STATUSES, expires_at__gt=now
    ).values_list("practitioner_id", "shortfall__starts_at", "shortfall__ends_at"):
        holds.setdefault(str(practitioner_id), []).append(engine.Interval(start, end))
    for practitioner_id, start, end in Booking.objects.filter(
        status__in=ACTIVE_BOOKING_STATUSES, created_at__gte=pool.now, ends_at__gt=now
    ).values_list("practitioner_id", "starts_at", "ends_at"):
        holds.setdefault(str(practitioner_id), []).append(engine.Interval(start, end))
    if not holds:
        return pool
    people = [
        replace(p, booked=tuple(sorted((*p.booked, *holds[p.id]), key=lambda b: b.start)))
        if p.id in holds
        else p
        for p in pool.practitioners
    ]
    return PractitionerPool(people, pool.wards.values(), now)


def _preferred(trust_ids: set[int], now: dt.datetime) -> dict[int, set[str]]:
    preferred: dict[int, set[str]] = {}
    for trust_id, practitioner_id in (
        PractitionerListing.objects.filter(trust_id__in=trust_ids, kind=PractitionerListing.Kind.PREFERRED)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("trust_id", "practitioner_id")
    ):
        preferred.setdefault(trust_id, set()).add(str(practitioner_id))
    return preferred


@dataclass(frozen=True)
class NewOffer:
    practitioner_id: int
    score: float
    terms: dict
    reasons: tuple[str, ...]


def _create_offers(
    *,
    shortfall: Shortfall,
    wave: int,
    offers: list[NewOffer],
    expires_at: dt.datetime,
    hold: bool,
    now: dt.datetime,
    revive_lapsed_holds: bool = False,
) -> int:
    """Create offers (or revive ones withdrawn when an earlier fill was cancelled, and with
    `revive_lapsed_holds` wave-0 holds that expired unanswered); each goes to its recipient through
    the outbox. Declined, accepted or other expired offers are never re-sent."""
    existing = {
        o.practitioner_id: o
        for o in Offer.objects.filter(
            shortfall=shortfall, practitioner_id__in=[n.practitioner_id for n in offers]
        )
    }
    created = 0
    for new in offers:
        explanation = {"terms": new.terms, "reasons": list(new.reasons)}
        score = max(0.0, min(1.0, round(new.score, 6)))
        offer = existing.get(new.practitioner_id)
        if offer is None:
            offer = Offer.objects.create(
                shortfall=shortfall,
                practitioner_id=new.practitioner_id,
                wave=wave,
                is_exclusive_hold=hold,
                score=score,
                explanation=explanation,
                status=Offer.Status.SENT,
                sent_at=now,
                expires_at=expires_at,
            )
        elif offer.status == Offer.Status.WITHDRAWN or (
            revive_lapsed_holds and offer.status == Offer.Status.EXPIRED and offer.wave == FAMILIAR
        ):
            updated = Offer.objects.filter(id=offer.id, status=offer.status).update(
                wave=wave,
                is_exclusive_hold=hold,
                score=score,
                explanation=explanation,
                status=Offer.Status.SENT,
                sent_at=now,
                viewed_at=None,
                responded_at=None,
                expires_at=expires_at,
                updated_at=now,
            )
            if not updated:
                continue
        else:
            continue
        outbox.enqueue("jobs.notify_offer", queue="notifications", offer_id=offer.id, sent_at=now.isoformat())
        created += 1
    return created


def _ranked(shortfall: Shortfall, engine_shortfall, pool: PractitionerPool, now: dt.datetime):
    ward = pool.wards.get(str(shortfall.ward_id)) or adapter.engine_ward(shortfall.ward)
    return rank_candidates(
        engine_shortfall,
        ward,
        pool,
        rules=adapter.rules_for(shortfall.trust),
        weights=adapter.weights_for(shortfall.trust),
        now=now,
    )


def _send_familiar_wave(
    due: list[Shortfall], pool: PractitionerPool, now: dt.datetime
) -> dict[int, dt.datetime]:
    """Wave 0 for a batch of shortfalls: the engine's batch assignment over familiar edges only,
    so the exclusive holds it places never clash with each other or with holds already out.
    Returns, per shortfall that got holds, when the last of them ends."""
    pool = _pool_with_holds(pool, now)
    offered = _already_offered([s.id for s in due])
    preferred = _preferred({s.trust_id for s in due}, now)
    engine_rows = []
    for shortfall, engine_shortfall in zip(due, adapter.engine_shortfalls(due), strict=True):
        slots = _open_slots(shortfall)
        if slots > 0:
            engine_rows.append((shortfall, replace(engine_shortfall, headcount=slots)))
    sent: dict[int, int] = {}
    if not engine_rows:
        return sent
    wards = {**pool.wards, **{str(s.ward_id): adapter.engine_ward(s.ward) for s, _ in engine_rows}}
    weights = engine.WeightBook(
        by_trust={str(s.trust_id): adapter.weights_for(s.trust) for s, _ in engine_rows}
    )
    edges = build_edges([e for _, e in engine_rows], wards, pool, adapter.rules_for(None), weights)
    keep = []
    for k in range(len(edges)):
        shortfall, engine_shortfall = engine_rows[int(edges.shortfall[k])]
        person = pool.practitioners[int(edges.practitioner[k])]
        knows_ward = any(h.ward == engine_shortfall.ward and h.shifts > 0 for h in person.history)
        is_preferred = person.id in preferred.get(shortfall.trust_id, set())
        if (knows_ward or is_preferred) and int(person.id) not in offered.get(shortfall.id, {}):
            keep.append(k)
    if keep:
        index = np.asarray(keep, dtype=np.int64)
        familiar = EdgeSet(
            shortfalls=edges.shortfalls,
            shortfall=edges.shortfall[index],
            practitioner=edges.practitioner[index],
            score=edges.score[index],
            start=edges.start[index],
            end=edges.end[index],
        )
        result = assign_edges(familiar, pool, adapter.rules_for(None), time_limit=10.0)
        chosen: dict[str, list[str]] = {}
        for a in result.assignments:
            chosen.setdefault(a.shortfall, []).append(a.practitioner)
    else:
        chosen = {}
    for shortfall, engine_shortfall in engine_rows:
        picks = chosen.get(engine_shortfall.id, [])
        if not picks:
            continue
        policy = CascadePolicy.for_trust(shortfall.trust)
        ranking = _ranked(shortfall, engine_shortfall, pool, now)
        by_id = {c.practitioner_id: c for c in ranking.candidates}
        offers = [
            NewOffer(int(pid), by_id[pid].score, dict(by_id[pid].terms), by_id[pid].reasons)
            for pid in picks
            if pid in by_id
        ]
        expiries = _hold_expiries(shortfall, policy, [o.practitioner_id for o in offers], now)
        created = 0
        for offer in offers:
            created += _create_offers(
                shortfall=shortfall,
                wave=FAMILIAR,
                offers=[offer],
                expires_at=expiries[offer.practitioner_id],
                hold=True,
                now=now,
            )
        if created:
            sent[shortfall.id] = max(expiries.values())
    return sent


def _quiet_hours_end(preference: NotificationPreference, at: dt.datetime) -> dt.datetime | None:
    """When the recipient's quiet hours that contain `at` end, or None outside quiet hours."""
    if not is_quiet_time(preference=preference, at=at):
        return None
    local = timezone.localtime(at)
    end = preference.quiet_hours_end
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if until <= local:
        until = (local + dt.timedelta(days=1)).replace(
            hour=end.hour, minute=end.minute, second=0, microsecond=0
        )
    return until.astimezone(dt.UTC)


def _hold_expiries(
    shortfall: Shortfall, policy: CascadePolicy, practitioner_ids: list[int], now: dt.datetime
) -> dict[int, dt.datetime]:
    """Each hold's expiry: `policy.hold(lead)` from now, or with `holds_wait_out_quiet_hours` from
    the end of the recipient's quiet hours, while the shift starts far enough after it."""
    hold = policy.hold(shortfall.starts_at - now)
    expiries = dict.fromkeys(practitioner_ids, now + hold)
    if not policy.holds_wait_out_quiet_hours:
        return expiries
    saved = {
        p.user.practitioner.id: p
        for p in NotificationPreference.objects.filter(
            user__practitioner__id__in=practitioner_ids
        ).select_related("user__practitioner")
    }
    latest = shortfall.starts_at - policy.all_at_once_under_hours * HOUR
    for practitioner_id in practitioner_ids:
        preference = saved.get(practitioner_id) or NotificationPreference()
        quiet_until = _quiet_hours_end(preference, now)
        if quiet_until is not None and quiet_until + hold <= latest:
            expiries[practitioner_id] = quiet_until + hold
    return expiries


def _send_open_wave(shortfall: Shortfall, wave: int, pool: PractitionerPool, now: dt.datetime) -> int:
    (engine_shortfall,) = adapter.engine_shortfalls([shortfall])
    ranking = _ranked(shortfall, engine_shortfall, pool, now)
    offered = _already_offered([shortfall.id]).get(shortfall.id, {})
    policy = CascadePolicy.for_trust(shortfall.trust)
    lapsed_holds: set[int] = set()
    if policy.reoffer_lapsed_holds:
        lapsed_holds = set(
            Offer.objects.filter(shortfall=shortfall, wave=FAMILIAR, status=Offer.Status.EXPIRED).values_list(
                "practitioner_id", flat=True
            )
        )
    fresh = [
        c
        for c in ranking.candidates
        if int(c.practitioner_id) not in offered
        or offered[int(c.practitioner_id)] == Offer.Status.WITHDRAWN
        or int(c.practitioner_id) in lapsed_holds
    ]
    if wave == TOP_K:
        fresh = fresh[: policy.wave1_size]
    offers = [NewOffer(int(c.practitioner_id), c.score, dict(c.terms), c.reasons) for c in fresh]
    return _create_offers(
        shortfall=shortfall,
        wave=wave,
        offers=offers,
        expires_at=policy.offer_expiry(now=now, starts_at=shortfall.starts_at),
        hold=False,
        now=now,
        revive_lapsed_holds=bool(policy.reoffer_lapsed_holds),
    )


def _schedule_next(shortfall: Shortfall, wave: int, now: dt.datetime) -> dt.datetime | None:
    if wave >= EVERYONE:
        return None
    policy = CascadePolicy.for_trust(shortfall.trust)
    lead = shortfall.starts_at - now
    gap = policy.hold(lead) if wave == FAMILIAR else policy.wave_gap(lead)
    return now + gap


@transaction.atomic
def advance_due_cascades(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Send the next wave of every open shortfall whose next_wave_at has passed. Rows are claimed
    with SKIP LOCKED, so two sweeps never send the same wave twice."""
    now = now or timezone.now()
    due = list(
        Shortfall.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=Shortfall.OPEN_STATUSES, next_wave_at__lte=now, starts_at__gt=now)
        .select_related("ward__setting", "ward__trust", "trust", "role")
        .order_by("next_wave_at", "id")[:limit]
    )
    if not due:
        return 0
    pool = adapter.snapshot.get()

    def is_urgent(shortfall: Shortfall) -> bool:
        return CascadePolicy.for_trust(shortfall.trust).is_all_at_once(shortfall.starts_at - now)

    def is_broadcast(shortfall: Shortfall) -> bool:
        return bool(CascadePolicy.for_trust(shortfall.trust).broadcast)

    holds_sent = _send_familiar_wave(
        [s for s in due if s.wave < FAMILIAR and not is_urgent(s) and not is_broadcast(s)], pool, now
    )
    for shortfall in due:
        if is_broadcast(shortfall) and not is_urgent(shortfall):
            _send_open_wave(shortfall, EVERYONE, pool, now)
            wave = EVERYONE
        elif is_urgent(shortfall):
            # Too close to wait for anyone: no holds, every wave now, and tell the agency.
            for wave in range(max(shortfall.wave + 1, TOP_K), EVERYONE + 1):
                _send_open_wave(shortfall, wave, pool, now)
            wave = EVERYONE
            if shortfall.escalated_at is None:
                raise_safe_staffing_alert(shortfall=shortfall, now=now)
        else:
            # A slot reopened after the last wave (a cancelled booking) goes to everyone again.
            wave = min(max(shortfall.wave + 1, FAMILIAR), EVERYONE)
            if wave > FAMILIAR:
                _send_open_wave(shortfall, wave, pool, now)
        next_wave_at = _schedule_next(shortfall, wave, now)
        if wave == FAMILIAR:
            # Nobody familiar to hold it for: do not wait out an empty hold; otherwise wait for the
            # last hold (later than the usual hold when it waits out quiet hours).
            next_wave_at = holds_sent.get(shortfall.id) or now
        Shortfall.objects.filter(id=shortfall.id).update(wave=wave, next_wave_at=next_wave_at, updated_at=now)
    return len(due)


def raise_safe_staffing_alert(*, shortfall: Shortfall, now: dt.datetime) -> bool:
    """Once per shortfall (conditional UPDATE): agency staff are told a ward may run unsafe."""
    claimed = Shortfall.objects.filter(id=shortfall.id, escalated_at__isnull=True).update(escalated_at=now)
    if claimed:
        outbox.enqueue("jobs.notify_safe_staffing", queue="notifications", shortfall_id=shortfall.id)
    return bool(claimed)


def escalate_unfilled(*, now: dt.datetime | None = None) -> int:
    """Beat sweep: open shortfalls inside their trust's escalation window raise an alert once."""
    now = now or timezone.now()
    raised = 0
    for shortfall in (
        Shortfall.objects.filter(
            status__in=Shortfall.OPEN_STATUSES, escalated_at__isnull=True, starts_at__gt=now
        )
        .filter(starts_at__lte=now + dt.timedelta(hours=72))
        .select_related("trust")
    ):
        if shortfall.starts_at - now <= dt.timedelta(hours=shortfall.trust.escalate_hours_before):
            raised += raise_safe_staffing_alert(shortfall=shortfall, now=now)
    return raised


def hurry_cascade_if_holds_lapsed(*, shortfall_ids: set[int], now: dt.datetime) -> None:
    """When every wave-0 hold of a shortfall has been declined or has expired, do not wait for the
    hold period to end: make the next wave due now."""
    for shortfall_id in shortfall_ids:
        has_open_hold = Offer.objects.filter(
            shortfall_id=shortfall_id, wave=FAMILIAR, status__in=Offer.OPEN_STATUSES
        ).exists()
        if not has_open_hold:
            Shortfall.objects.filter(
                id=shortfall_id, wave=FAMILIAR, status__in=Shortfall.OPEN_STATUSES, next_wave_at__gt=now
            ).update(next_wave_at=now, updated_at=now)


@transaction.atomic
def broaden_shortfall(
    *,
    shortfall: Shortfall,
    by,
    extra_radius_km: int | None = None,
    min_band: int | None = None,
    rate_cap=None,
) -> Shortfall:
    """Widen an open shortfall and run matching again now: newly eligible practitioners get the
    next wave (those already offered are not asked twice)."""
    shortfall = Shortfall.objects.select_for_update(of=("self",)).get(id=shortfall.id)
    if not shortfall.is_open:
        raise ShortfallClosed(extra={"shortfall_id": shortfall.id, "status": shortfall.status})
    errors: dict[str, list[str]] = {}
    if extra_radius_km is not None and extra_radius_km < shortfall.extra_radius_km:
        errors["extra_radius_km"] = ["Broadening cannot narrow the radius."]
    if min_band is not None and min_band > shortfall.min_band:
        errors["min_band"] = ["Broadening cannot raise the band."]
    if rate_cap is not None and shortfall.rate_cap is not None and rate_cap < shortfall.rate_cap:
        errors["rate_cap"] = ["Broadening cannot lower the rate cap."]
    if errors:
        raise ValidationFailed(extra={"fields": errors})
    now = timezone.now()
    if extra_radius_km is not None:
        shortfall.extra_radius_km = extra_radius_km
    if min_band is not None:
        shortfall.min_band = min_band
    if rate_cap is not None:
        shortfall.rate_cap = rate_cap
    shortfall.wave = min(shortfall.wave, TOP_K)  # the next step offers everyone now eligible
    shortfall.next_wave_at = now
    shortfall.save(
        update_fields=["extra_radius_km", "min_band", "rate_cap", "wave", "next_wave_at", "updated_at"]
    )
    outbox.enqueue("jobs.advance_cascades", queue="offers")
    return shortfall
