"""Practitioner behaviour: when an offer is answered, whether it is accepted, and what happens to a
booking afterwards. Every draw is keyed by what it is about (the seed, the demand item and the
practitioner), not by the order things happen in, so two policies that send the same person the
same shift meet the same person with the same mood: differences between policies come from the
policies (common random numbers)."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from jobs.simulation.config import LONDON, SimulationConfig
from matching.engine.clock import is_night_shift


@dataclass(frozen=True)
class PersonFacts:
    id: int
    lat: float
    lon: float
    preferred_settings: frozenset[str]
    shift_preference: str  # "days", "nights" or "any"


@dataclass(frozen=True)
class OfferSituation:
    """What the practitioner weighs when answering, read from the database at that moment."""

    setting: str
    ward_lat: float
    ward_lon: float
    starts_at: dt.datetime
    shifts_on_ward: int
    knows_trust: bool
    hours_booked_around: float


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


class Behaviour:
    def __init__(self, config: SimulationConfig) -> None:
        self.config = config

    def _uniform(self, *key: object) -> float:
        return random.Random(":".join(map(str, (self.config.seed, *key)))).random()

    def _normal(self, *key: object) -> float:
        return random.Random(":".join(map(str, (self.config.seed, *key)))).gauss(0.0, 1.0)

    def response_at(
        self, *, demand: int, practitioner: int, attempt: int, sent_at: dt.datetime, starts_at: dt.datetime
    ) -> dt.datetime | None:
        """When the practitioner answers the offer, or None if they never do."""
        c = self.config
        if self._uniform("ignore", demand, practitioner, attempt) < c.ignore_rate:
            return None
        urgent = starts_at - sent_at < dt.timedelta(hours=12)
        median = c.urgent_response_median_minutes if urgent else c.response_median_minutes
        minutes = median * math.exp(c.response_sigma * self._normal("delay", demand, practitioner, attempt))
        seen_at = sent_at
        quiet_from, quiet_to = c.night_quiet_hours
        local = sent_at.astimezone(LONDON)
        if not urgent and (local.hour >= quiet_from or local.hour < quiet_to):
            morning = local.replace(hour=quiet_to, minute=0, second=0, microsecond=0)
            if local.hour >= quiet_from:
                morning += dt.timedelta(days=1)
            seen_at = morning.astimezone(dt.UTC)
        return (seen_at + dt.timedelta(minutes=minutes)).replace(microsecond=0)

    def accept_probability(self, person: PersonFacts, situation: OfferSituation) -> float:
        c = self.config
        logit = c.accept_base
        logit += c.accept_per_shift_on_ward * min(situation.shifts_on_ward, c.accept_ward_shifts_cap)
        if situation.knows_trust and situation.shifts_on_ward == 0:
            logit += c.accept_knows_trust
        if situation.setting in person.preferred_settings:
            logit += c.accept_preferred_setting
        night = is_night_shift(situation.starts_at)
        if person.shift_preference in ("days", "nights"):
            matches = (person.shift_preference == "nights") == night
            logit += c.accept_shift_preference if matches else c.accept_against_shift_preference
        km = distance_km(person.lat, person.lon, situation.ward_lat, situation.ward_lon)
        logit += c.accept_per_10_km * km / 10
        logit += c.accept_per_12_hours_booked * situation.hours_booked_around / 12
        return 1 / (1 + math.exp(-logit))

    def accepts(self, *, demand: int, person: PersonFacts, situation: OfferSituation) -> bool:
        return self._uniform("accept", demand, person.id) < self.accept_probability(person, situation)

    def cancellation_at(
        self,
        *,
        demand: int,
        practitioner: int,
        familiar: bool,
        booked_at: dt.datetime,
        starts_at: dt.datetime,
    ) -> dt.datetime | None:
        """When the practitioner cancels this booking, or None if they keep it."""
        c = self.config
        rate = c.practitioner_cancel_rate * (c.familiar_cancel_factor if familiar else 1.0)
        if self._uniform("cancel", demand, practitioner) >= rate:
            return None
        notice = -math.log(1 - self._uniform("notice", demand, practitioner)) * c.cancel_notice_mean_hours
        at = starts_at - dt.timedelta(hours=notice)
        if at <= booked_at:
            at = booked_at + (starts_at - booked_at) / 2
        return at.replace(microsecond=0)

    def is_no_show(self, *, demand: int, practitioner: int) -> bool:
        return self._uniform("no-show", demand, practitioner) < self.config.no_show_rate
