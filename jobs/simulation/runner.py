"""One policy, four weeks, through the real code.

Discrete events on the simulated clock: trusts post and cancel shortfalls, practitioners answer
offers and cancel bookings. Between events the beat sweeps run on their own grid (every 30 s of
simulated time; ticks where nothing can be due are skipped, which changes nothing because a sweep
with nothing due does nothing). Everything goes through the services the API and the Celery tasks
call: post_shortfall, cancel_shortfall, the tasks advance_cascades / expire_offers /
escalate_unfilled / complete_bookings, accept_offer, decline_offer, cancel_booking.

The worker is replaced by an in-process one: outbox rows are written and relayed as in production,
but the relay hands each message to `InProcessBroker` instead of Redis, and the simulator runs it:
`jobs.advance_cascades` runs the real task at once; `jobs.notify_offer` is the offer reaching the
practitioner (their answer is scheduled by the behaviour model); `jobs.notify_booking` for a
confirmed booking may schedule a cancellation. Notification delivery (email, SMS, in-app rows,
webhooks) and the analytics rollups are counted, not run: they do not change who gets booked.

The matching snapshot (matching.candidates.snapshot) ages on simulated time: it is rebuilt when it
is older than `snapshot_max_age_minutes` (production: 30 s of wall time). Bookings and exclusive
holds made since it was built are overlaid by the cascade itself, as in production, and the accept
path re-checks every rule on fresh rows, so the age only delays new ledger entries and credential
changes; it never lets a clash through. No background refresh thread runs on the wall clock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection

from backend.accounts.models import User
from backend.core import outbox
from backend.core.errors import ApplicationError
from backend.core.models import OutboxMessage
from backend.organisations.models import Role, Trust, Ward
from backend.practitioners.models import Practitioner, WardExperience
from jobs import tasks
from jobs.models import ACTIVE_BOOKING_STATUSES, Booking, Offer, Shortfall
from jobs.services.booking_lifecycle import cancel_booking
from jobs.services.bookings import check_working_time
from jobs.services.offers import accept_offer, decline_offer
from jobs.services.shortfalls import cancel_shortfall, post_shortfall
from jobs.simulation import demand as demand_model
from jobs.simulation.behaviour import Behaviour, OfferSituation, PersonFacts
from jobs.simulation.clock import SimClock, pinned
from jobs.simulation.config import SimulationConfig
from jobs.simulation.policies import Policy
from matching import candidates as adapter

WEEK = dt.timedelta(days=7)
POST, CANCEL_SHORTFALL, RESPOND, CANCEL_BOOKING = "post", "cancel_shortfall", "respond", "cancel_booking"


class InProcessBroker:
    """Stands in for Redis: the outbox relay publishes here and the simulator consumes."""

    def __init__(self) -> None:
        self.messages: deque[tuple[str, dict]] = deque()
        self.published: Counter[str] = Counter()

    def send(self, message: OutboxMessage) -> None:
        self.published[message.task] += 1
        self.messages.append((message.task, dict(message.kwargs)))


@contextlib.contextmanager
def relaying_to(broker: InProcessBroker) -> Iterator[InProcessBroker]:
    real_send = outbox._send
    outbox._send = broker.send
    try:
        yield broker
    finally:
        outbox._send = real_send


@contextlib.contextmanager
def snapshot_on_simulated_time() -> Iterator[None]:
    """The matching snapshot ages on simulated time (see Simulation._advance), never on the wall
    clock: no background refresh thread, so a run is deterministic."""
    real_ttl = adapter.SNAPSHOT_TTL
    adapter.SNAPSHOT_TTL = float("inf")
    adapter.snapshot.invalidate()
    try:
        yield
    finally:
        adapter.SNAPSHOT_TTL = real_ttl
        adapter.snapshot.invalidate()


@dataclass
class RunResult:
    policy: str
    counters: Counter = field(default_factory=Counter)
    messages: Counter = field(default_factory=Counter)
    demand_of: dict[int, int] = field(default_factory=dict)  # shortfall id -> demand index
    wall_seconds: float = 0.0
    sim_events: int = 0
    sweeps: int = 0


def _ceil(moment: dt.datetime, origin: dt.datetime, step: int) -> dt.datetime:
    seconds = (moment - origin).total_seconds()
    ticks = -(-seconds // step)
    return origin + dt.timedelta(seconds=max(0.0, ticks) * step)


_NEXT_DUE_SQL = """
SELECT
  (SELECT MIN(next_wave_at) FROM jobs_shortfall
    WHERE status IN ('open', 'partially_filled') AND next_wave_at IS NOT NULL AND starts_at > %s),
  (SELECT MIN(expires_at) FROM jobs_offer WHERE status IN ('queued', 'sent', 'viewed')),
  (SELECT MIN(ends_at) FROM jobs_booking WHERE status = 'confirmed')
"""


class Simulation:
    def __init__(
        self, config: SimulationConfig, policy: Policy, log: Callable[[str], None] = lambda message: None
    ) -> None:
        self.config = config
        self.policy = policy
        self.log = log
        self.behaviour = Behaviour(config)
        self.clock = SimClock(config.start)
        self.broker = InProcessBroker()
        self.result = RunResult(policy=policy.name)
        self._events: list[tuple[dt.datetime, int, str, tuple]] = []
        self._sequence = 0
        self._attempts: Counter[int] = Counter()  # messages per offer (a revived offer is re-sent)
        self._snapshot_at: dt.datetime | None = None
        self._snapshot_max_age = dt.timedelta(minutes=config.snapshot_max_age_minutes)

    # --- setup ------------------------------------------------------------------------------------

    def _load_world(self) -> None:
        Trust.objects.update(cascade_settings=self.policy.cascade_settings)
        self.wards = {w.id: w for w in Ward.objects.select_related("trust", "setting").order_by("id")}
        self.ward_facts = {
            w.id: demand_model.WardFacts(w.id, w.trust_id, w.setting.code, w.latitude, w.longitude)
            for w in self.wards.values()
        }
        self.roles = {r.code: r for r in Role.objects.all()}
        self.staff: dict[int, User] = {}
        for user in User.objects.filter(kind=User.Kind.TRUST_STAFF, is_active=True).order_by("id"):
            self.staff.setdefault(user.trust_id, user)
        preferred: dict[int, set[str]] = {}
        through = Practitioner.preferred_settings.through
        for pid, code in through.objects.values_list("practitioner_id", "setting__code"):
            preferred.setdefault(pid, set()).add(code)
        self.practitioners = {p.id: p for p in Practitioner.objects.select_related("user").order_by("id")}
        self.people = {
            p.id: PersonFacts(
                p.id,
                p.home_latitude,
                p.home_longitude,
                frozenset(preferred.get(p.id, ())),
                p.shift_preference,
            )
            for p in self.practitioners.values()
        }
        self.demand = demand_model.generate(
            self.config, list(self.ward_facts.values()), set(self.roles) & set(self._pool_roles())
        )

    def _pool_roles(self) -> set[str]:
        return set(Practitioner.objects.values_list("role__code", flat=True).distinct())

    def _push(self, at: dt.datetime, kind: str, *payload: object) -> None:
        self._sequence += 1
        heapq.heappush(self._events, (at, self._sequence, kind, payload))

    # --- the in-process worker -------------------------------------------------------------------

    def _advance(self) -> None:
        now = self.clock.now()
        if self._snapshot_at is None or now - self._snapshot_at >= self._snapshot_max_age:
            adapter.snapshot.invalidate()  # the next get() rebuilds it at the simulated now
            self._snapshot_at = now
        tasks.advance_cascades_task()

    def _drain(self) -> None:
        while self.broker.messages:
            task, kwargs = self.broker.messages.popleft()
            self.result.messages[task] += 1
            if task == "jobs.advance_cascades":
                self._advance()
            elif task == "jobs.notify_offer":
                self._offer_received(kwargs["offer_id"], kwargs["sent_at"])
            elif task == "jobs.notify_booking" and kwargs.get("event") == "booking_confirmed":
                self._booking_confirmed(kwargs["booking_id"])

    def _offer_received(self, offer_id: int, sent_at: str) -> None:
        shortfall_id, practitioner_id, starts_at = Offer.objects.filter(id=offer_id).values_list(
            "shortfall_id", "practitioner_id", "shortfall__starts_at"
        )[0]
        demand = self.result.demand_of[shortfall_id]
        self._attempts[offer_id] += 1
        at = self.behaviour.response_at(
            demand=demand,
            practitioner=practitioner_id,
            attempt=self._attempts[offer_id],
            sent_at=dt.datetime.fromisoformat(sent_at),
            starts_at=starts_at,
        )
        if at is None:
            self.result.counters["offers_ignored"] += 1
        else:
            self._push(max(at, self.clock.now()), RESPOND, offer_id, sent_at)

    def _booking_confirmed(self, booking_id: int) -> None:
        booking = Booking.objects.select_related("shortfall").get(id=booking_id)
        familiar = WardExperience.objects.filter(
            practitioner_id=booking.practitioner_id, ward_id=booking.shortfall.ward_id, shifts_worked__gt=0
        ).exists()
        at = self.behaviour.cancellation_at(
            demand=self.result.demand_of[booking.shortfall_id],
            practitioner=booking.practitioner_id,
            familiar=familiar,
            booked_at=self.clock.now(),
            starts_at=booking.starts_at,
        )
        if at is not None:
            self._push(at, CANCEL_BOOKING, booking_id)

    # --- events -------------------------------------------------------------------------------------

    def _post(self, index: int) -> None:
        d = self.demand[index]
        ward = self.wards[d.ward_id]
        shortfall = post_shortfall(
            posted_by=self.staff[ward.trust_id],
            ward=ward,
            role=self.roles[d.role],
            min_band=d.min_band,
            starts_at=d.starts_at,
            ends_at=d.ends_at,
            headcount=d.headcount,
            shift_type=d.shift_type,
            external_reference=d.reference,
        )
        self.result.demand_of[shortfall.id] = index
        self.shortfall_of[index] = shortfall.id
        self.result.counters["shortfalls_posted"] += 1
        self.result.counters["slots_posted"] += d.headcount

    def _cancel_shortfall(self, index: int) -> None:
        shortfall = Shortfall.objects.get(id=self.shortfall_of[index])
        try:
            cancel_shortfall(
                shortfall=shortfall,
                cancelled_by=self.staff[shortfall.trust_id],
                reason="Covered by substantive staff.",
            )
        except ApplicationError as error:
            self.result.counters[f"trust_cancel_refused:{error.code}"] += 1
        else:
            self.result.counters["shortfalls_cancelled_by_trust"] += 1

    def _situation(self, offer: Offer) -> OfferSituation:
        shortfall = offer.shortfall
        ward = self.ward_facts[shortfall.ward_id]
        ledger = dict(
            WardExperience.objects.filter(practitioner_id=offer.practitioner_id).values_list(
                "ward_id", "shifts_worked"
            )
        )
        booked = Booking.objects.filter(
            practitioner_id=offer.practitioner_id,
            status__in=ACTIVE_BOOKING_STATUSES,
            starts_at__gte=shortfall.starts_at - WEEK,
            starts_at__lt=shortfall.starts_at + WEEK,
        ).values_list("starts_at", "ends_at")
        return OfferSituation(
            setting=ward.setting,
            ward_lat=ward.lat,
            ward_lon=ward.lon,
            starts_at=shortfall.starts_at,
            shifts_on_ward=ledger.get(shortfall.ward_id, 0),
            knows_trust=any(
                self.ward_facts[w].trust_id == ward.trust_id
                for w, n in ledger.items()
                if n and w in self.ward_facts
            ),
            hours_booked_around=sum((e - s).total_seconds() / 3600 for s, e in booked),
        )

    def _respond(self, offer_id: int, sent_at: str) -> None:
        counters = self.result.counters
        offer = Offer.objects.select_related("shortfall").get(id=offer_id)
        if offer.sent_at.isoformat() != sent_at:
            return  # re-sent since (a revived offer): the newer message is answered instead
        if offer.status not in Offer.OPEN_STATUSES or offer.expires_at <= self.clock.now():
            counters[f"answered_too_late:{offer.status}"] += 1
            return
        practitioner = self.practitioners[offer.practitioner_id]
        demand = self.result.demand_of[offer.shortfall_id]
        try:  # a practitioner does not take a shift that clashes with their own bookings
            check_working_time(
                practitioner=practitioner,
                starts_at=offer.shortfall.starts_at,
                ends_at=offer.shortfall.ends_at,
            )
            clash = None
        except ApplicationError as error:
            clash = error.code
        person = self.people[practitioner.id]
        if clash is None and self.behaviour.accepts(
            demand=demand, person=person, situation=self._situation(offer)
        ):
            counters["accepts_tried"] += 1
            try:
                accept_offer(offer_id=offer_id, practitioner=practitioner)
            except ApplicationError as error:
                counters[f"accept_refused:{error.code}"] += 1
            else:
                counters["accepts_booked"] += 1
            return
        counters["declines" if clash is None else f"declines_clash:{clash}"] += 1
        decline_offer(
            offer_id=offer_id,
            practitioner=practitioner,
            reason="Already working that day." if clash else "Not for me this time.",
        )

    def _cancel_booking(self, booking_id: int) -> None:
        booking = Booking.objects.get(id=booking_id)
        if booking.status != Booking.Status.CONFIRMED:
            return
        try:
            cancel_booking(
                booking=booking,
                cancelled_by=self.practitioners[booking.practitioner_id].user,
                reason="Unwell.",
            )
        except ApplicationError as error:
            self.result.counters[f"practitioner_cancel_refused:{error.code}"] += 1
        else:
            self.result.counters["bookings_cancelled_by_practitioner"] += 1

    def _handle(self, kind: str, payload: tuple) -> None:
        handler = {
            POST: self._post,
            CANCEL_SHORTFALL: self._cancel_shortfall,
            RESPOND: self._respond,
            CANCEL_BOOKING: self._cancel_booking,
        }[kind]
        handler(*payload)

    # --- the loop ------------------------------------------------------------------------------------

    def _next_sweep(self, last_tick: dt.datetime) -> dt.datetime | None:
        c, now = self.config, self.clock.now()
        with connection.cursor() as cursor:
            cursor.execute(_NEXT_DUE_SQL, [now])
            wave_at, expires_at, ends_at = cursor.fetchone()
        candidates = [
            _ceil(moment, c.start, c.sweep_seconds) for moment in (wave_at, expires_at) if moment is not None
        ]
        if ends_at is not None:
            candidates.append(_ceil(ends_at, c.start, c.complete_sweep_seconds))
        if not candidates:
            return None
        return max(min(candidates), last_tick + dt.timedelta(seconds=c.sweep_seconds))

    def _sweep(self, tick: dt.datetime) -> None:
        c = self.config
        self.result.sweeps += 1
        self._advance()
        tasks.expire_offers_task()
        elapsed = int((tick - c.start).total_seconds())
        if elapsed % c.escalate_sweep_seconds == 0 or tick - self._last_escalation >= dt.timedelta(
            seconds=c.escalate_sweep_seconds
        ):
            tasks.escalate_unfilled_task()
            self._last_escalation = tick
        if elapsed % c.complete_sweep_seconds == 0:
            tasks.complete_bookings_task()
        self._drain()

    def run(self) -> RunResult:
        started = time.monotonic()
        self._load_world()
        self.shortfall_of: dict[int, int] = {}
        for d in self.demand:
            self._push(d.posted_at, POST, d.index)
            if d.cancel_at is not None:
                self._push(d.cancel_at, CANCEL_SHORTFALL, d.index)
        self.log(
            f"{self.policy.name}: {len(self.demand)} shortfalls, {len(self.practitioners)} practitioners"
        )
        last_tick = self.config.start - dt.timedelta(seconds=self.config.sweep_seconds)
        self._last_escalation = last_tick
        with pinned(self.clock), relaying_to(self.broker), snapshot_on_simulated_time():
            while True:
                tick = self._next_sweep(last_tick)
                if self._events and (tick is None or self._events[0][0] <= tick):
                    at, _, kind, payload = heapq.heappop(self._events)
                    self.clock.advance_to(max(at, self.clock.now()))
                    self._handle(kind, payload)
                    self.result.sim_events += 1
                    self._drain()
                elif tick is not None:
                    self.clock.advance_to(max(tick, self.clock.now()))
                    self._sweep(tick)
                    last_tick = tick
                else:
                    break
        self.result.counters["no_shows"] = sum(
            self.behaviour.is_no_show(demand=self.result.demand_of[sid], practitioner=pid)
            for sid, pid in Booking.objects.filter(
                status=Booking.Status.COMPLETED, shortfall_id__in=list(self.result.demand_of)
            ).values_list("shortfall_id", "practitioner_id")
        )
        self.result.wall_seconds = time.monotonic() - started
        return self.result
