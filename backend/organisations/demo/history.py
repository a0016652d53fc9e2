"""Shortfalls over twelve months of history and the next four weeks, with the offers, bookings,
feedback, continuity ledger and preferred / do-not-book listings they leave behind.

Shortfalls are processed in start order. Each practitioner has a timeline (end of the last active
shift, hours in the last seven days), so a booking is only made when it starts at least 11 hours
after the previous one ends and keeps the week under the 48-hour cap (60 with the opt-out): the
PostgreSQL exclusion constraint `booking_no_overlap_per_practitioner` can never fire.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np

from backend.organisations.demo.build import (
    DAY,
    HOUR,
    MINUTE,
    NEVER,
    haversine_km,
    ts_dt,
    weighted,
)
from backend.organisations.demo.spec import (
    BAND_RATE_PENCE,
    DECLINE_REASONS,
    DO_NOT_BOOK_REASONS,
    FEEDBACK_COMMENTS,
    HISTORY_DAYS,
    HORIZON_DAYS,
    INPATIENT_ROLE_MIX,
    LONDON,
    MIN_REST_SECONDS,
    NO_SHOW_REASON,
    PRACTITIONER_CANCEL_REASONS,
    SETTING_COMPETENCES,
    SETTING_ROLE_MIX,
    SHIFT_MIX,
    SHORTFALL_MIN_BANDS,
    SHORTFALL_NOTES,
    TRUST_CANCEL_REASONS,
    WEEK_SECONDS,
)
from backend.organisations.demo.writer import as_decimal

if TYPE_CHECKING:
    from backend.organisations.demo.build import DemoSeed

HEADCOUNTS = {1: 0.78, 2: 0.17, 3: 0.04, 4: 0.01}
FUTURE_DECAY_DAYS = 10.0
FUTURE_OVERSUPPLY = 1.3  # future shortfalls generated per open one wanted (some fill, a few cancel)


class Shortfall:
    __slots__ = (
        "id",
        "ward",
        "role",
        "min_band",
        "headcount",
        "start",
        "end",
        "shift_type",
        "required",
        "desired",
        "required_mask",
        "gender",
        "rate",
        "cap",
        "notes",
        "reference",
        "posted",
        "posted_by",
        "status",
        "cancelled_at",
        "cancel_reason",
        "filled_at",
        "order",
    )


class ShiftHistory:
    def __init__(self, seed: DemoSeed) -> None:
        self.s = seed
        self.now = seed.now_ts
        self.rng = seed.rng("bookings")

    def run(self) -> None:
        self.build_pools()
        shortfalls = self.generate_shortfalls()
        self.book(shortfalls)
        self.write(shortfalls)

    # --- candidate pools -----------------------------------------------------------------------

    def build_pools(self) -> None:
        """Per (ward, role): practitioners within their travel radius who hold every credential the
        ward requires, with cumulative activity weights for weighted draws."""
        s = self.s
        lat = np.radians(np.array(s.p_lat))
        lon = np.radians(np.array(s.p_lon))
        radius = np.array(s.p_radius, dtype=float)
        activity = np.array(s.p_activity)
        roles = np.array(s.p_role)
        can_have_worked = np.array([status != "onboarding" for status in s.p_status])
        holds: dict[str, np.ndarray] = {}
        self.pools: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}
        for w, ward in enumerate(s.wards):
            wlat, wlon = math.radians(ward.lat), math.radians(ward.lon)
            a = np.sin((lat - wlat) / 2) ** 2 + np.cos(lat) * math.cos(wlat) * np.sin((lon - wlon) / 2) ** 2
            km = 12742.0 * np.arcsin(np.sqrt(a))
            mask = (km <= radius) & can_have_worked
            for code in ward.requires:
                if code not in holds:
                    holds[code] = np.array([code in creds for creds in s.p_creds])
                mask &= holds[code]
            for role in s.role_ids:
                members = np.flatnonzero(mask & (roles == role))
                if len(members):
                    cumulative = np.cumsum(activity[members])
                    if cumulative[-1] > 0:
                        self.pools[(w, role)] = (members, cumulative)
        self.regulars: dict[tuple[int, str], list[int]] = {}
        for p, wards in s.demo_wards.items():
            for w in wards:
                self.regulars.setdefault((w, s.p_role[p]), []).extend([p] * 5)

    def draw(self, w: int, role: str) -> int | None:
        pool = self.pools.get((w, role))
        if pool is None:
            return None
        members, cumulative = pool
        j = int(cumulative.searchsorted(self.rng.random() * cumulative[-1], side="right"))
        return int(members[min(j, len(members) - 1)])

    # --- shortfalls ----------------------------------------------------------------------------

    def generate_shortfalls(self) -> list[Shortfall]:
        s = self.s
        rng = s.rng("shortfalls")
        wards = s.wards
        mean_demand = sum(ward.demand for ward in wards) / len(wards)
        future_target = s.spec.open_shortfalls * FUTURE_OVERSUPPLY
        decay_sum = sum(math.exp(-d / FUTURE_DECAY_DAYS) for d in range(HORIZON_DAYS))
        future_rate = future_target / (len(wards) * decay_sum * 1.04)
        references = [0] * len(s.trusts)
        shortfalls: list[Shortfall] = []
        for offset in range(-HISTORY_DAYS, HORIZON_DAYS):
            day = s.today + dt.timedelta(days=offset)
            dow = 1.15 if day.weekday() >= 5 else (1.1 if day.weekday() == 4 else 1.0)
            passes = []
            if offset <= 0:
                passes.append(
                    (s.spec.history_per_ward_day * (1.1 if day.month in (12, 1, 2) else 1.0), False)
                )
            if offset >= 0:
                passes.append((future_rate * math.exp(-offset / FUTURE_DECAY_DAYS), True))
            for base_rate, future in passes:
                for w, ward in enumerate(wards):
                    expected = base_rate * dow * ward.demand / mean_demand
                    count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
                    for _ in range(count):
                        shortfall = self._shortfall(rng, w, day, future, references)
                        if shortfall is not None:
                            shortfall.order = len(shortfalls)
                            shortfalls.append(shortfall)
        shortfalls.sort(key=lambda sf: (sf.start, sf.order))
        base = s.writer.first_free_id(_model("jobs.Shortfall"))
        for i, shortfall in enumerate(shortfalls):
            shortfall.id = base + i
        return shortfalls

    def _shortfall(self, rng, w: int, day: dt.date, future: bool, references: list[int]) -> Shortfall | None:
        s = self.s
        ward = s.wards[w]
        mix = {
            r: p for r, p in SETTING_ROLE_MIX.get(ward.setting, INPATIENT_ROLE_MIX).items() if r in s.role_ids
        }
        role = weighted(rng, mix)
        if ward.setting in {"community", "crisis"} and role != "doctor":
            shift_mix = SHIFT_MIX[ward.setting]
        else:
            shift_mix = SHIFT_MIX[
                {"doctor": "doctor", "psychologist": "therapy", "ot": "therapy"}.get(role, "ward")
            ]
        shift_type = weighted(rng, shift_mix)
        start, end = s.shift_times(day, shift_type)
        if future != (start >= self.now):
            return None
        sf = Shortfall()
        sf.ward, sf.role, sf.shift_type, sf.start, sf.end = w, role, shift_type, start, end
        sf.min_band = weighted(rng, SHORTFALL_MIN_BANDS[role])
        sf.headcount = weighted(rng, HEADCOUNTS) if role in {"rmn", "hca", "rnld"} else 1
        options = [c for c in SETTING_COMPETENCES.get(ward.setting, ()) if c in s.competence_ids]
        sf.required = [rng.choice(options)] if options and rng.random() < 0.15 else []
        sf.desired = (
            sorted(set(rng.sample(options, k=min(len(options), rng.randint(1, 2)))) - set(sf.required))
            if options and rng.random() < 0.35
            else []
        )
        sf.required_mask = sum(s.competence_bit[c] for c in sf.required)
        sf.gender = ""
        if ward.gender == "female" and rng.random() < 0.25:
            sf.gender = "female"
        elif ward.gender == "male" and rng.random() < 0.10:
            sf.gender = "male"
        elif ward.gender == "mixed" and rng.random() < 0.04:
            sf.gender = rng.choice(("female", "male"))
        weekend = day.weekday() >= 5
        pence = (
            BAND_RATE_PENCE[role][sf.min_band]
            * rng.uniform(1.05, 1.2)
            * (1.15 if shift_type == "night" else 1.0)
            * (1.1 if weekend else 1.0)
        )
        pence = int(round(pence / 5.0)) * 5
        sf.rate = None if rng.random() < 0.05 else pence
        sf.cap = None if rng.random() < 0.1 else int(round(pence * rng.uniform(1.08, 1.3) / 5.0)) * 5
        sf.notes = rng.choice(SHORTFALL_NOTES) if rng.random() < 0.25 else ""
        trust = ward.trust
        if rng.random() < 0.6:
            references[trust] += 1
            local = dt.datetime.fromtimestamp(start, LONDON)
            sf.reference = f"{s.trusts[trust]['ods']}-{local:%Y%m%d}-{references[trust]:05d}"
        else:
            sf.reference = ""
        sf.posted_by = rng.choice(s.trusts[trust]["staff"])
        if future:
            ago = int(rng.uniform(0.5, 240) * HOUR)
            posted = max(self.now - ago, start - 35 * DAY)
        else:
            roll = rng.random()
            lead_hours = (
                rng.uniform(2, 24)
                if roll < 0.25
                else (rng.uniform(24, 168) if roll < 0.7 else rng.uniform(168, 672))
            )
            posted = start - int(lead_hours * HOUR)
        sf.posted = min(posted - posted % MINUTE, self.now - MINUTE)
        sf.status, sf.cancelled_at, sf.cancel_reason, sf.filled_at = "open", None, "", None
        return sf

    # --- booking pass --------------------------------------------------------------------------

    def book(self, shortfalls: list[Shortfall]) -> None:
        s = self.s
        rng = self.rng
        n = len(s.p_id)
        self.last_end = [-(10**12)] * n
        self.recent: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        self.week_cap = [(60.0 if opted else 48.0) for opted in s.p_opted_out]
        self.reg_expiry = [
            NEVER
            if day is None
            else int(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=LONDON).timestamp())
            for day in s.p_reg_expiry
        ]
        self.unreliable = [rng.random() < 0.06 for _ in range(n)]
        self.experience: dict[tuple[int, int], list] = {}  # (p, w) -> [shifts, first, last, rating]
        self.trust_shifts: dict[tuple[int, int], int] = {}
        self.trust_ratings: dict[tuple[int, int], list[int]] = {}
        self.no_shows: dict[tuple[int, int], int] = {}
        self.blocked: dict[tuple[int, int], int] = {}  # (p, trust) -> blocked from this time
        self.offers: list[tuple] = []
        self.bookings: list[tuple] = []
        self.trust_feedback: list[tuple] = []
        self.ward_feedback: list[tuple] = []
        self.listings: list[tuple] = []
        self.offer_id = s.writer.first_free_id(_model("jobs.Offer"))
        self.booking_id = s.writer.first_free_id(_model("jobs.Booking"))
        update = s.progress("booking pass (shortfalls)", len(shortfalls))
        for k, sf in enumerate(shortfalls):
            self._fill(sf)
            if k % 5000 == 4999:
                update(5000)
        update(len(shortfalls) % 5000)

    def _fits(self, p: int, sf: Shortfall, ward, future: bool) -> bool:
        s = self.s
        band = s.p_band[p]
        if band < sf.min_band or band > sf.min_band + 2:
            return False
        if future and s.p_status[p] != "active":
            return False
        if sf.gender and s.p_gender[p] != sf.gender:
            return False
        if sf.cap is not None and s.p_rate[p] > sf.cap:
            return False
        if sf.required_mask & ~s.p_comp_mask[p]:
            return False
        blocked = self.blocked.get((p, ward.trust))
        if blocked is not None and blocked <= sf.start:
            return False
        if sf.start < self.last_end[p] + MIN_REST_SECONDS:
            return False
        if self.reg_expiry[p] < sf.end:
            return False
        creds = s.p_creds[p]
        for code in ward.requires:
            if creds.get(code, 0) < sf.end:
                return False
        hours = (sf.end - sf.start) / HOUR
        recent = self.recent[p]
        if recent:
            window = sf.start - WEEK_SECONDS
            while recent and recent[0][0] <= window:
                recent.pop(0)
            if sum(h for _, h in recent) + hours > self.week_cap[p]:
                return False
        return True

    def _pick(self, sf: Shortfall, ward, future: bool, taken: set[int]) -> tuple[int, bool] | None:
        rng = self.rng
        regulars = self.regulars.get((sf.ward, sf.role))
        if regulars and rng.random() < 0.6:
            for _ in range(3):
                p = regulars[rng.randrange(len(regulars))]
                if p not in taken and self._fits(p, sf, ward, future):
                    return p, True
        for _ in range(8):
            p = self.draw(sf.ward, sf.role)
            if p is None:
                return None
            if p not in taken and self._fits(p, sf, ward, future):
                return p, (p, sf.ward) in self.experience
        return None

    def _fill(self, sf: Shortfall) -> None:
        s, rng, now = self.s, self.rng, self.now
        ward = s.wards[sf.ward]
        future = sf.start >= now
        taken: set[int] = set()
        offered: set[int] = set()
        cutoff = min(sf.start, now)
        if rng.random() < (0.02 if future else 0.03):
            sf.status = "cancelled"
            sf.cancelled_at = sf.posted + int((cutoff - sf.posted) * rng.uniform(0.3, 0.95))
            sf.cancel_reason = rng.choice(TRUST_CANCEL_REASONS)
        days_ahead = (sf.start - now) / DAY
        fill_chance = (
            (0.55 * math.exp(-days_ahead / 5.0) + 0.05)
            if future
            else (0.93 if sf.start - sf.posted > DAY else 0.75)
        )
        filled: list[int] = []  # confirmation times of slots that stayed filled
        for _slot in range(sf.headcount):
            if rng.random() >= fill_chance:
                continue
            after = sf.posted
            for attempt in range(2):  # a practitioner cancellation may be refilled once
                booking = self._book(sf, ward, future, taken, offered, after)
                if booking is None:
                    break
                p, confirmed, status = booking
                if status == "cancelled_by_practitioner" and attempt == 0 and rng.random() < 0.6:
                    after = self.bookings[-1][10]  # cancelled_at of the booking just made
                    continue
                if status in {"completed", "confirmed", "no_show"}:
                    filled.append(confirmed)
                break
        if sf.status == "cancelled":
            pass
        elif len(filled) == sf.headcount:
            sf.status = "filled"
            sf.filled_at = max(filled)
        elif future:
            sf.status = "partially_filled" if filled else "open"
        else:
            sf.status = "expired"
        self._other_offers(sf, ward, future, offered)

    def _offer_times(self, sf: Shortfall, after: int, wave: int, future: bool) -> tuple[int, int, int] | None:
        rng, now = self.rng, self.now
        horizon = sf.start - after
        if horizon < 10 * MINUTE:
            return None
        delay = {0: 2 * MINUTE, 1: min(45 * MINUTE, horizon * 0.05), 2: min(3 * HOUR, horizon * 0.1)}[wave]
        sent = after + int(delay) + rng.randint(0, 59)
        if future and sent > now - MINUTE:
            sent = after + int(max(0, now - after) * rng.uniform(0.05, 0.5))
        hold = 30 * MINUTE if wave == 0 else int(min(4 * HOUR, max(15 * MINUTE, (sf.start - sent) * 0.25)))
        latest = min(sent + int(hold * 0.9), sf.start - MINUTE, now - 1)
        if latest <= sent + 30:
            return None
        responded = sent + rng.randint(30, latest - sent)
        return sent, responded, sent + hold

    def _book(self, sf, ward, future, taken, offered, after):
        """Offer the shortfall to a fitting practitioner who accepts; returns (p, confirmed, status)."""
        s, rng, now = self.s, self.rng, self.now
        if sf.cancelled_at is not None and after >= sf.cancelled_at:
            return None
        picked = self._pick(sf, ward, future, taken)
        if picked is None:
            return None
        p, familiar = picked
        wave = 0 if familiar else (1 if rng.random() < 0.7 else 2)
        times = self._offer_times(sf, after, wave, future)
        if times is None:
            return None
        sent, confirmed, expires = times
        if sf.cancelled_at is not None and confirmed >= sf.cancelled_at:
            return None
        taken.add(p)
        offered.add(p)
        offer_id = self._offer(sf, ward, p, wave, "accepted", sent, confirmed, expires)
        cancelled_at, reason, late, completed_at = None, "", False, None
        unreliable = self.unreliable[p]
        roll = rng.random()
        if sf.cancelled_at is not None:
            status, cancelled_at, reason = "cancelled_by_trust", sf.cancelled_at, sf.cancel_reason
            late = sf.start - cancelled_at < 12 * HOUR
        elif not future and roll < (0.12 if unreliable else 0.03):
            status = "cancelled_by_practitioner"
            cancelled_at = confirmed + int((sf.start - confirmed) * rng.uniform(0.2, 0.98))
            reason = rng.choice(PRACTITIONER_CANCEL_REASONS)
            late = sf.start - cancelled_at < 12 * HOUR
        elif not future and sf.end <= now and roll < (0.18 if unreliable else 0.04):
            status = "no_show"
        elif sf.end <= now:
            status = "completed"
            completed_at = min(sf.end + rng.randint(HOUR, 30 * HOUR), now)
        else:
            status = "confirmed"
        if status in {"completed", "confirmed", "no_show"}:
            self.last_end[p] = sf.end
            self.recent[p].append((sf.start, (sf.end - sf.start) / HOUR))
        booked_by = s.agency_user_id if rng.random() < 0.08 else None
        booking_id = self.booking_id
        self.booking_id += 1
        updated = cancelled_at or completed_at or confirmed
        self.bookings.append(
            (
                booking_id,
                ts_dt(confirmed),
                ts_dt(updated),
                sf.id,
                s.p_id[p],
                offer_id,
                ts_dt(sf.start),
                ts_dt(sf.end),
                status,
                booked_by,
                cancelled_at,  # epoch seconds until written: a refill starts from it
                reason,
                late,
                None if completed_at is None else ts_dt(completed_at),
            )
        )
        trust = ward.trust
        if status == "completed":
            self._completed(p, sf, ward, booking_id, completed_at)
        elif status == "no_show":
            key = (p, trust)
            self.no_shows[key] = self.no_shows.get(key, 0) + 1
            if self.no_shows[key] == 2 and key not in self.blocked:
                self._block(p, trust, sf.end + DAY, NO_SHOW_REASON)
        return p, confirmed, status

    def _completed(self, p: int, sf: Shortfall, ward, booking_id: int, completed_at: int) -> None:
        s, rng, now = self.s, self.rng, self.now
        key = (p, sf.ward)
        record = self.experience.get(key)
        if record is None:
            self.experience[key] = [1, sf.start, sf.start, None]
        else:
            record[0] += 1
            record[2] = sf.start
        # One entry per completed shift: a draw favours whoever has worked the ward most.
        self.regulars.setdefault((sf.ward, sf.role), []).append(p)
        trust_key = (p, ward.trust)
        self.trust_shifts[trust_key] = self.trust_shifts.get(trust_key, 0) + 1
        given_at = completed_at + rng.randint(HOUR, 72 * HOUR)
        if rng.random() < 0.3 and given_at <= now:
            rating = weighted(rng, {5: 0.45, 4: 0.35, 3: 0.13, 2: 0.05, 1: 0.02})
            if self.unreliable[p] and rating > 2 and rng.random() < 0.3:
                rating -= 1
            do_not_book = rating == 1 and rng.random() < 0.4
            reason = rng.choice(DO_NOT_BOOK_REASONS) if do_not_book else ""
            given_by = rng.choice(s.trusts[ward.trust]["staff"])
            self.trust_feedback.append(
                (
                    ts_dt(given_at),
                    ts_dt(given_at),
                    booking_id,
                    rating,
                    rating >= 3,
                    do_not_book,
                    reason,
                    given_by,
                )
            )
            self.experience[key][3] = rating
            self.trust_ratings.setdefault(trust_key, []).append(rating)
            if do_not_book and trust_key not in self.blocked:
                self._block(p, ward.trust, given_at, reason, created_by=given_by)
        if rng.random() < 0.1:
            felt_at = completed_at + rng.randint(HOUR, 48 * HOUR)
            if felt_at <= now:
                self.ward_feedback.append(
                    (
                        ts_dt(felt_at),
                        ts_dt(felt_at),
                        booking_id,
                        weighted(rng, {5: 0.3, 4: 0.35, 3: 0.2, 2: 0.1, 1: 0.05}),
                        weighted(rng, {5: 0.25, 4: 0.35, 3: 0.25, 2: 0.1, 1: 0.05}),
                        rng.random() < 0.9,
                        rng.choice(FEEDBACK_COMMENTS) if rng.random() < 0.3 else "",
                    )
                )

    def _block(self, p: int, trust: int, at: int, reason: str, created_by: int | None = None) -> None:
        s = self.s
        at = min(at, self.now)
        self.blocked[(p, trust)] = at
        review = (dt.datetime.fromtimestamp(at, LONDON) + dt.timedelta(days=180)).date()
        created_by = created_by or s.trusts[trust]["staff"][0]
        self.listings.append(
            (
                ts_dt(at),
                ts_dt(at),
                s.trusts[trust]["id"],
                None,
                s.p_id[p],
                "do_not_book",
                reason,
                None,
                review,
                created_by,
            )
        )

    def _offer(self, sf, ward, p, wave, status, sent, responded, expires, decline_reason="") -> int:
        s = self.s
        shifts = self.experience.get((p, sf.ward), (0,))[0]
        distance = round(haversine_km(s.p_lat[p], s.p_lon[p], ward.lat, ward.lon), 1)
        familiarity = min(1.0, self.trust_shifts.get((p, ward.trust), 0) / 20)
        score = 0.25 + 0.45 * min(1.0, shifts / 10) + 0.15 * familiarity + 0.1 * max(0.0, 1 - distance / 60)
        score = round(min(0.99, max(0.05, score + self.rng.uniform(-0.04, 0.04))), 4)
        explanation = {"continuity_shifts": shifts, "distance_km": distance}
        offer_id = self.offer_id
        self.offer_id += 1
        created = sent if sent is not None else sf.posted
        updated = responded if responded is not None else created
        self.offers.append(
            (
                offer_id,
                ts_dt(created),
                ts_dt(updated),
                sf.id,
                s.p_id[p],
                wave,
                wave == 0,
                score,
                explanation,
                status,
                None if sent is None else ts_dt(sent),
                None if responded is None else ts_dt(responded),
                ts_dt(expires),
                decline_reason,
            )
        )
        return offer_id

    def _other_offers(self, sf: Shortfall, ward, future: bool, offered: set[int]) -> None:
        rng, now = self.rng, self.now
        if sf.status in {"open", "partially_filled"}:
            count = rng.randint(1, 6)
            statuses = {"sent": 0.35, "viewed": 0.25, "queued": 0.15, "declined": 0.25}
        elif future:
            count = rng.randint(0, 3)
            statuses = {"withdrawn": 0.6, "declined": 0.4} if sf.status == "filled" else {"withdrawn": 1.0}
        else:
            count = rng.choice((0, 1, 1, 2, 2, 3, 4))
            if sf.status == "filled":
                statuses = {"declined": 0.45, "expired": 0.35, "withdrawn": 0.2}
            elif sf.status == "cancelled":
                statuses = {"withdrawn": 0.6, "declined": 0.4}
            else:
                statuses = {"declined": 0.5, "expired": 0.5}
        for _ in range(count):
            p = self.draw(sf.ward, sf.role)
            if p is None:
                return
            if p in offered:
                continue
            offered.add(p)
            status = weighted(rng, statuses)
            wave = 0 if (p, sf.ward) in self.experience else (1 if rng.random() < 0.6 else 2)
            times = self._offer_times(sf, sf.posted, wave, future)
            if status == "queued":
                self._offer(sf, ward, p, 2, "queued", None, None, now + rng.randint(10 * MINUTE, 3 * HOUR))
                continue
            if times is None:
                continue
            sent, responded, expires = times
            if status in {"sent", "viewed"}:
                expires = now + rng.randint(10 * MINUTE, 3 * HOUR)
                self._offer(sf, ward, p, wave, status, sent, None, expires)
            elif status == "declined":
                self._offer(sf, ward, p, wave, status, sent, responded, expires, rng.choice(DECLINE_REASONS))
            else:  # expired or withdrawn: no response
                self._offer(sf, ward, p, wave, status, sent, None, expires)

    # --- writing -------------------------------------------------------------------------------

    def write(self, shortfalls: list[Shortfall]) -> None:
        s = self.s
        rows = (
            (
                sf.id,
                ts_dt(sf.posted),
                ts_dt(sf.cancelled_at or sf.filled_at or sf.posted),
                s.trusts[s.wards[sf.ward].trust]["id"],
                s.wards[sf.ward].id,
                s.role_ids[sf.role],
                sf.min_band,
                sf.headcount,
                ts_dt(sf.start),
                ts_dt(sf.end),
                sf.shift_type,
                sf.gender,
                None if sf.rate is None else as_decimal(sf.rate),
                None if sf.cap is None else as_decimal(sf.cap),
                sf.notes,
                sf.reference,
                sf.status,
                sf.posted_by,
                ts_dt(sf.posted),
                None if sf.cancelled_at is None else ts_dt(sf.cancelled_at),
                sf.cancel_reason,
                None if sf.filled_at is None else ts_dt(sf.filled_at),
            )
            for sf in shortfalls
        )
        s.write(
            "shortfalls",
            "jobs.Shortfall",
            [
                "id",
                "created_at",
                "updated_at",
                "trust_id",
                "ward_id",
                "role_id",
                "min_band",
                "headcount",
                "starts_at",
                "ends_at",
                "shift_type",
                "gender_requirement",
                "hourly_rate",
                "rate_cap",
                "notes",
                "external_reference",
                "status",
                "posted_by_id",
                "posted_at",
                "cancelled_at",
                "cancel_reason",
                "filled_at",
            ],
            rows,
            total=len(shortfalls),
        )
        competence_ids = s.competence_ids
        s.write(
            "shortfall required competences",
            "jobs.Shortfall_required_competences",
            ["shortfall_id", "competence_id"],
            [(sf.id, competence_ids[c]) for sf in shortfalls for c in sf.required],
        )
        s.write(
            "shortfall desired competences",
            "jobs.Shortfall_desired_competences",
            ["shortfall_id", "competence_id"],
            [(sf.id, competence_ids[c]) for sf in shortfalls for c in sf.desired],
        )
        s.write(
            "offers",
            "jobs.Offer",
            [
                "id",
                "created_at",
                "updated_at",
                "shortfall_id",
                "practitioner_id",
                "wave",
                "is_exclusive_hold",
                "score",
                "explanation",
                "status",
                "sent_at",
                "responded_at",
                "expires_at",
                "decline_reason",
            ],
            self.offers,
        )
        bookings = [
            row[:10] + (None if row[10] is None else ts_dt(row[10]),) + row[11:] for row in self.bookings
        ]
        self.bookings = []
        s.write(
            "bookings",
            "jobs.Booking",
            [
                "id",
                "created_at",
                "updated_at",
                "shortfall_id",
                "practitioner_id",
                "offer_id",
                "starts_at",
                "ends_at",
                "status",
                "booked_by_id",
                "cancelled_at",
                "cancel_reason",
                "is_late_cancellation",
                "completed_at",
            ],
            bookings,
        )
        s.write(
            "trust feedback",
            "jobs.TrustFeedback",
            [
                "created_at",
                "updated_at",
                "booking_id",
                "rating",
                "would_book_again",
                "do_not_book",
                "reason",
                "given_by_id",
            ],
            self.trust_feedback,
        )
        s.write(
            "ward feedback",
            "jobs.WardFeedback",
            [
                "created_at",
                "updated_at",
                "booking_id",
                "induction",
                "supervision",
                "felt_safe",
                "comment",
            ],
            self.ward_feedback,
        )
        now = s.now
        experience = [
            (now, now, s.p_id[p], s.wards[w].id, shifts, ts_dt(first), ts_dt(last), rating, "booking")
            for (p, w), (shifts, first, last, rating) in sorted(self.experience.items())
        ]
        s.write(
            "ward experience",
            "practitioners.WardExperience",
            [
                "created_at",
                "updated_at",
                "practitioner_id",
                "ward_id",
                "shifts_worked",
                "first_worked_at",
                "last_worked_at",
                "last_rating",
                "source",
            ],
            experience,
        )
        self._preferred_listings()
        s.write(
            "listings",
            "practitioners.PractitionerListing",
            [
                "created_at",
                "updated_at",
                "trust_id",
                "ward_id",
                "practitioner_id",
                "kind",
                "reason",
                "expires_at",
                "review_on",
                "created_by_id",
            ],
            self.listings,
        )
        worked: dict[int, set[str]] = {}
        for p, w in self.experience:
            worked.setdefault(p, set()).add(s.wards[w].setting)
        s.write(
            "practitioner settings experience",
            "practitioners.Practitioner_settings_experience",
            ["practitioner_id", "setting_id"],
            [
                (s.p_id[p], s.setting_ids[code])
                for p in range(len(s.p_id))
                for code in sorted(set(s.p_settings[p]) | worked.get(p, set()))
            ],
        )

    def _preferred_listings(self) -> None:
        """Trusts list their most trusted regulars as preferred (trust-wide) and the stalwart of a
        ward as preferred for that ward; never someone they have blocked."""
        s, rng = self.s, self.s.rng("listings")
        minimum = 8 if s.spec.name == "large" else 5
        for (p, trust), shifts in sorted(self.trust_shifts.items()):
            if (p, trust) in self.blocked or shifts < minimum:
                continue
            ratings = self.trust_ratings.get((p, trust), [])
            if ratings and sum(ratings) / len(ratings) < 4:
                continue
            if rng.random() < 0.5:
                at = self.now - rng.randint(DAY, 90 * DAY)
                self.listings.append(
                    (
                        ts_dt(at),
                        ts_dt(at),
                        s.trusts[trust]["id"],
                        None,
                        s.p_id[p],
                        "preferred",
                        "",
                        None,
                        None,
                        rng.choice(s.trusts[trust]["staff"]),
                    )
                )
        best: dict[int, tuple[int, int]] = {}
        for (p, w), record in sorted(self.experience.items()):
            if (
                record[0] >= 6
                and (p, s.wards[w].trust) not in self.blocked
                and record[0] > best.get(w, (0, -1))[0]
            ):
                best[w] = (record[0], p)
        for w, (_, p) in sorted(best.items()):
            if rng.random() < 0.5:
                trust = s.wards[w].trust
                at = self.now - rng.randint(DAY, 60 * DAY)
                self.listings.append(
                    (
                        ts_dt(at),
                        ts_dt(at),
                        s.trusts[trust]["id"],
                        s.wards[w].id,
                        s.p_id[p],
                        "preferred",
                        "Knows the ward's patients well.",
                        None,
                        None,
                        rng.choice(s.trusts[trust]["staff"]),
                    )
                )


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)
