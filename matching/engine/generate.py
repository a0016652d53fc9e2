"""Seeded synthetic instances: UK cities, NHS-like trusts and wards, a realistic workforce.

Deterministic for a given seed (one numpy Generator drives everything), so benchmarks can be rerun.
Shift times are written in Europe/London local time and converted to UTC, so horizons that cross
a clock change contain 11 h and 13 h nights just as real rotas do.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np

from matching.engine.clock import HOUR, WEEK, epoch, local_shift
from matching.engine.instance import Instance
from matching.engine.model import Interval, Practitioner, Rules, Shortfall, Ward, WardHistory
from matching.engine.taxonomy import required_credentials

CITIES: tuple[tuple[str, float, float, float], ...] = (
    # name, lat, lon, relative size of the workforce
    ("Manchester", 53.4808, -2.2426, 1.4),
    ("Leeds", 53.8008, -1.5491, 1.0),
    ("Birmingham", 52.4862, -1.8904, 1.4),
    ("London North", 51.5906, -0.1100, 1.3),
    ("London South", 51.4400, -0.0900, 1.3),
    ("Bristol", 51.4545, -2.5879, 0.8),
    ("Newcastle", 54.9783, -1.6178, 0.8),
    ("Sheffield", 53.3811, -1.4701, 0.8),
    ("Nottingham", 52.9548, -1.1581, 0.8),
    ("Liverpool", 53.4084, -2.9916, 0.9),
    ("Norwich", 52.6309, 1.2974, 0.5),
    ("Plymouth", 50.3755, -4.1427, 0.4),
)

ROLE_MIX = {"hca": 0.45, "rmn": 0.30, "rnld": 0.08, "doctor": 0.05, "psychologist": 0.04, "ot": 0.08}
SHORTFALL_ROLE_MIX = {
    "hca": 0.46,
    "rmn": 0.38,
    "rnld": 0.07,
    "doctor": 0.04,
    "psychologist": 0.02,
    "ot": 0.03,
}
BANDS = {
    "hca": (2, 3, 4),
    "rmn": (5, 6, 7),
    "rnld": (5, 6),
    "doctor": (8, 9),
    "psychologist": (7, 8),
    "ot": (5, 6, 7),
}
BAND_WEIGHTS = {"hca": (0.2, 0.6, 0.2), "rmn": (0.6, 0.3, 0.1), "rnld": (0.7, 0.3), "doctor": (0.5, 0.5),
                "psychologist": (0.6, 0.4), "ot": (0.5, 0.4, 0.1)}  # fmt: skip
SETTING_MIX = {"adult_acute": 0.28, "picu": 0.10, "older_adult": 0.14, "camhs_inpatient": 0.08, "forensic_low": 0.08,
               "forensic_medium": 0.05, "ld_autism": 0.08, "eating_disorders": 0.05, "rehab": 0.08, "crisis": 0.06}  # fmt: skip
CREDENTIAL_RATES = {"dbs_adult": 0.96, "dbs_children": 0.35, "safeguarding_children_l3": 0.4, "pmva_rrn": 0.55,
                    "oliver_mcgowan_t2": 0.3, "ils": 0.4, "rapid_tranquillisation": 0.3}  # fmt: skip
# Local start and length of the shift patterns mental health wards use.
SHIFT_PATTERNS = ((time(7, 0), 8.0), (time(14, 0), 8.5), (time(7, 30), 12.5), (time(19, 30), 12.5))
SHIFT_PATTERN_WEIGHTS = (0.25, 0.25, 0.25, 0.25)
WARD_NAMES = (
    "Willow",
    "Oak",
    "Ash",
    "Rowan",
    "Cedar",
    "Maple",
    "Beech",
    "Hazel",
    "Birch",
    "Elm",
    "Larch",
    "Holly",
)


def _choice(rng: np.random.Generator, mix: dict[str, float]) -> str:
    keys = list(mix)
    weights = np.array([mix[k] for k in keys])
    return keys[int(rng.choice(len(keys), p=weights / weights.sum()))]


def _local_shift(day: datetime, start: time, hours: float) -> tuple[datetime, datetime]:
    return local_shift(day.date(), start, hours)


def generate_instance(
    *, shortfalls: int, practitioners: int, seed: int = 1, now: datetime | None = None, horizon_days: int = 14
) -> Instance:
    rng = np.random.default_rng(seed)
    now = now or datetime(2026, 12, 1, tzinfo=UTC)
    rules = Rules()

    wards: list[Ward] = []
    city_wards: list[list[Ward]] = []
    for c, (_, lat, lon, _) in enumerate(CITIES):
        these: list[Ward] = []
        for t in range(2):
            trust = f"T{c * 2 + t + 1}"
            for w in range(int(rng.integers(5, 10))):
                these.append(
                    Ward(
                        id=f"W{len(wards) + 1}",
                        trust=trust,
                        setting=_choice(rng, SETTING_MIX),
                        lat=round(lat + rng.normal(0, 0.05), 5),
                        lon=round(lon + rng.normal(0, 0.08), 5),
                        name=f"{WARD_NAMES[w % len(WARD_NAMES)]} Ward",
                    )
                )
                wards.append(these[-1])
        city_wards.append(these)
    city_weights = np.array([size for *_, size in CITIES])
    city_weights = city_weights / city_weights.sum()
    # Shortfalls fall where staff shortage is, roughly in proportion to ward count.
    ward_city = {ward.id: c for c, these in enumerate(city_wards) for ward in these}

    pool: list[Practitioner] = []
    for k in range(practitioners):
        c = int(rng.choice(len(CITIES), p=city_weights))
        _, lat, lon, _ = CITIES[c]
        role = _choice(rng, ROLE_MIX)
        band = int(rng.choice(BANDS[role], p=BAND_WEIGHTS[role]))
        credentials = {"right_to_work": now + timedelta(days=int(rng.integers(200, 2000))),
                       "core_mandatory": now + timedelta(days=int(rng.integers(30, 700)))}  # fmt: skip
        for code, rate in CREDENTIAL_RATES.items():
            if rng.random() < rate:
                # About one in twenty expires inside the horizon: a realistic compliance churn.
                days = rng.uniform(-20, horizon_days + 2) if rng.random() < 0.05 else rng.uniform(30, 900)
                credentials[code] = (now + timedelta(days=float(days))).replace(microsecond=0)
        p_lat = round(lat + rng.normal(0, 0.12), 5)
        p_lon = round(lon + rng.normal(0, 0.18), 5)
        history: list[WardHistory] = []
        if rng.random() < 0.45:
            for ward in rng.choice(
                city_wards[c], size=min(len(city_wards[c]), int(rng.integers(1, 4))), replace=False
            ):
                history.append(
                    WardHistory(
                        ward=ward.id,
                        shifts=int(rng.geometric(0.12)),
                        last_worked=(now - timedelta(days=float(rng.uniform(1, 365)))).replace(microsecond=0),
                    )
                )
        booked = _booked_shifts(rng, now, horizon_days, rules, cap_hours=48.0)
        pool.append(
            Practitioner(
                id=f"P{k + 1}",
                role=role,
                band=band,
                gender=str(rng.choice(["female", "male", "non_binary"], p=[0.7, 0.29, 0.01])),
                lat=p_lat,
                lon=p_lon,
                radius_km=float(rng.choice([15, 20, 25, 30, 40, 50], p=[0.15, 0.25, 0.25, 0.2, 0.1, 0.05])),
                week_hours_cap=60.0 if rng.random() < 0.15 else 48.0,
                credentials=credentials,
                blocked_trusts=frozenset({f"T{int(rng.integers(1, 2 * len(CITIES) + 1))}"})
                if rng.random() < 0.03
                else frozenset(),
                booked=tuple(booked),
                history=tuple(history),
            )
        )

    ward_weights = np.array([CITIES[ward_city[w.id]][3] for w in wards])
    ward_weights = ward_weights / ward_weights.sum()
    demand: list[Shortfall] = []
    for k in range(shortfalls):
        ward = wards[int(rng.choice(len(wards), p=ward_weights))]
        role = _choice(rng, SHORTFALL_ROLE_MIX)
        pattern = int(rng.choice(len(SHIFT_PATTERNS), p=SHIFT_PATTERN_WEIGHTS))
        day = now + timedelta(days=int(rng.integers(1, horizon_days + 1)))
        start, end = _local_shift(day, *SHIFT_PATTERNS[pattern])
        extras = {"dbs_adult"} | ({"ils"} if role in ("rmn", "doctor") and rng.random() < 0.2 else set())
        gender = None
        if rng.random() < 0.08:
            gender = str(rng.choice(["female", "male"]))
        demand.append(
            Shortfall(
                id=f"S{k + 1}",
                ward=ward.id,
                role=role,
                min_band=int(
                    BANDS[role][0] if rng.random() < 0.8 else BANDS[role][min(1, len(BANDS[role]) - 1)]
                ),
                start=start,
                end=end,
                headcount=int(rng.choice([1, 2, 3], p=[0.7, 0.25, 0.05])),
                requires=required_credentials(ward.setting, extras),
                gender=gender,
            )
        )
    return Instance(
        now=now, rules=rules, wards=tuple(wards), shortfalls=tuple(demand), practitioners=tuple(pool)
    )


def _booked_shifts(
    rng: np.random.Generator, now: datetime, horizon_days: int, rules: Rules, cap_hours: float
) -> list[Interval]:
    """Existing bookings that already respect rest and weekly hours (the instance's premise)."""
    shifts: list[tuple[int, int]] = []
    for _ in range(int(rng.integers(0, 5))):
        day = now + timedelta(days=int(rng.integers(0, horizon_days + 1)))
        start, end = _local_shift(day, *SHIFT_PATTERNS[int(rng.integers(len(SHIFT_PATTERNS)))])
        s, e = epoch(start), epoch(end)
        rest = rules.min_rest_hours * HOUR
        if any(s < oe + rest and os < e + rest for os, oe in shifts):
            continue
        trial = sorted([*shifts, (s, e)])
        if any(sum(b - a for a, b in trial if ws <= a < ws + WEEK) > cap_hours * HOUR for ws, _ in trial):
            continue
        shifts.append((s, e))
    return [
        Interval(datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC)) for s, e in sorted(shifts)
    ]
