"""Demand: the shortfalls trusts post over the simulated weeks, drawn once per seed and identical
for every policy. The ward, role, band and shift mix follow the demo seed's tables
(backend/organisations/demo/spec.py), so demand looks like the history the ledger was built from;
the rate, the weekend and night shares, the lead times and cancellations come from the config."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from backend.organisations.demo.history import HEADCOUNTS
from backend.organisations.demo.spec import (
    INPATIENT_ROLE_MIX,
    SETTING_DEMAND,
    SETTING_ROLE_MIX,
    SHIFT_MIX,
    SHIFT_PATTERN,
    SHORTFALL_MIN_BANDS,
)
from jobs.simulation.config import LONDON, SimulationConfig
from matching.engine.clock import local_shift

WARD_ROLES = {"rmn", "hca", "rnld"}


@dataclass(frozen=True)
class WardFacts:
    id: int
    trust_id: int
    setting: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Demand:
    index: int
    ward_id: int
    role: str
    min_band: int
    headcount: int
    shift_type: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    posted_at: dt.datetime
    cancel_at: dt.datetime | None

    @property
    def reference(self) -> str:
        return f"sim-{self.index}"


def _weighted(rng: random.Random, table: dict) -> object:
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: exact and fine for the small means of one ward-day.
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _shift_mix(config: SimulationConfig, setting: str, role: str) -> dict[str, float]:
    if setting in {"community", "crisis"} and role != "doctor":
        return SHIFT_MIX[setting]
    kind = {"doctor": "doctor", "psychologist": "therapy", "ot": "therapy"}.get(role, "ward")
    if kind != "ward":
        return SHIFT_MIX[kind]
    days = {k: v for k, v in SHIFT_MIX["ward"].items() if k != "night"}
    total = sum(days.values())
    return {**{k: (1 - config.night_share) * v / total for k, v in days.items()}, "night": config.night_share}


def _lead(config: SimulationConfig, rng: random.Random) -> dt.timedelta:
    shares = {i: share for i, (share, _, _) in enumerate(config.lead_times)}
    _, low, high = config.lead_times[_weighted(rng, shares)]
    return dt.timedelta(hours=math.exp(rng.uniform(math.log(low), math.log(high))))


def generate(config: SimulationConfig, wards: list[WardFacts], roles: set[str]) -> list[Demand]:
    """Shortfalls starting in [start + 1 day, end), in posting order. A shift whose drawn lead time
    reaches back before the simulation starts is posted in its first hours instead."""
    rng = random.Random(f"sim:{config.seed}:demand")
    start_day = config.start.astimezone(LONDON).date()
    drafts = []
    for ward in sorted(wards, key=lambda w: w.id):
        mix = {r: p for r, p in SETTING_ROLE_MIX.get(ward.setting, INPATIENT_ROLE_MIX).items() if r in roles}
        for offset in range(1, config.weeks * 7):
            day = start_day + dt.timedelta(days=offset)
            rate = config.shortfalls_per_ward_day * SETTING_DEMAND.get(ward.setting, 1.0)
            if day.weekday() >= 5:
                rate *= config.weekend_factor
            for _ in range(_poisson(rng, rate)):
                role = _weighted(rng, mix)
                shift_type = _weighted(rng, _shift_mix(config, ward.setting, role))
                hour, minute, minutes = SHIFT_PATTERN[shift_type]
                starts_at, ends_at = local_shift(day, dt.time(hour, minute), minutes / 60)
                posted_at = starts_at - _lead(config, rng)
                if posted_at < config.start:
                    posted_at = config.start + (starts_at - config.start) * rng.uniform(0.0, 0.25)
                posted_at = posted_at.replace(second=0, microsecond=0)
                cancel_at = None
                if rng.random() < config.trust_cancel_rate:
                    cancel_at = posted_at + (starts_at - posted_at) * rng.uniform(0.1, 0.95)
                drafts.append(
                    (
                        posted_at,
                        ward.id,
                        role,
                        _weighted(rng, SHORTFALL_MIN_BANDS[role]),
                        _weighted(rng, HEADCOUNTS) if role in WARD_ROLES else 1,
                        shift_type,
                        starts_at,
                        ends_at,
                        cancel_at,
                    )
                )
    drafts.sort(key=lambda d: (d[0], d[6], d[1], d[2]))
    return [
        Demand(i, ward_id, role, band, headcount, shift_type, starts_at, ends_at, posted_at, cancel_at)
        for i, (
            posted_at,
            ward_id,
            role,
            band,
            headcount,
            shift_type,
            starts_at,
            ends_at,
            cancel_at,
        ) in enumerate(drafts)
    ]
