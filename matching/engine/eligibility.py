"""Hard rules: may this practitioner work this shortfall at all?

Two paths share every rule definition below (the predicates work on Python scalars and numpy
arrays alike): ``explain_pair`` walks one practitioner and names each failure as a Blocker for
people to read; ``pair_masks`` / ``eligible_positions`` evaluate the same predicates as boolean
masks over a PractitionerPool for ranking and batch assignment. They must never disagree; a
property test checks that on random instances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from matching.engine.clock import HOUR, WEEK, duration_text, epoch, local_date_text, local_text
from matching.engine.model import Blocker, Practitioner, Rules, Shortfall, Ward
from matching.engine.snapshot import PractitionerPool
from matching.engine.taxonomy import credential_label, role_label

EARTH_RADIUS_KM = 6371.0088

RULE_CODES: tuple[str, ...] = (
    "role",
    "band",
    "status",
    "registration",
    "credential",
    "do_not_book",
    "gender",
    "travel",
    "rate",
    "overlap",
    "rest",
    "weekly_hours",
)


# Shared predicates (scalar or array in, same arithmetic) ---------------------------------------


def distance_km(lat1_rad, lon1_rad, cos_lat1, lat2_rad, lon2_rad, cos_lat2):  # type: ignore[no-untyped-def]
    """Haversine great-circle distance. Callers pass radians and cos(lat) so the pool precomputes them."""
    half_dlat = np.sin((lat2_rad - lat1_rad) / 2)
    half_dlon = np.sin((lon2_rad - lon1_rad) / 2)
    a = half_dlat * half_dlat + cos_lat1 * cos_lat2 * half_dlon * half_dlon
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def band_fits(band, min_band: int, rules: Rules):  # type: ignore[no-untyped-def]
    fits = band >= min_band - rules.band_up_allowance
    if rules.max_band_above is not None:
        fits = fits & (band <= min_band + rules.max_band_above)
    return fits


def is_valid_through(expiry, shift_end: float):  # type: ignore[no-untyped-def]
    """A credential or registration expiring exactly at the shift's end still covers it."""
    return expiry >= shift_end


def overlaps(start: float, end: float, other_start, other_end):  # type: ignore[no-untyped-def]
    return (other_start < end) & (start < other_end)


def rest_clash(start: float, end: float, other_start, other_end, rest_seconds: float):  # type: ignore[no-untyped-def]
    """Closer than the minimum rest on either side (exactly ``min_rest_hours`` apart is allowed)."""
    return (other_start < end + rest_seconds) & (start < other_end + rest_seconds)


def starts_in_window(start, window_start):  # type: ignore[no-untyped-def]
    """The rolling 7-day window opened by a shift: [window_start, window_start + 168 h)."""
    return (start >= window_start) & (start < window_start + WEEK)


def is_within_rate(rate, rate_cap: float | None):  # type: ignore[no-untyped-def]
    if rate_cap is None:
        return np.ones_like(rate, dtype=bool) if isinstance(rate, np.ndarray) else True
    return np.logical_not(rate > rate_cap)  # an unknown (nan) rate is not above the cap


def week_cap_hours(practitioner: Practitioner, rules: Rules) -> float:
    if practitioner.week_hours_cap is not None:
        return practitioner.week_hours_cap
    return rules.opt_out_max_hours if practitioner.has_opted_out else rules.week_hours_cap


# Scalar path: one pair, every failure named --------------------------------------------------------


def explain_pair(
    shortfall: Shortfall, ward: Ward, practitioner: Practitioner, rules: Rules, now: datetime | None = None
) -> list[Blocker]:
    """Every hard rule this pair breaks, in RULE_CODES order; an empty list means eligible."""
    blockers: list[Blocker] = []
    start, end = epoch(shortfall.start), epoch(shortfall.end)
    now_seconds = None if now is None else epoch(now)
    p = practitioner

    if p.role != shortfall.role:
        blockers.append(
            Blocker("role", f"Role is {role_label(p.role)}, shift needs {role_label(shortfall.role)}")
        )
    if not band_fits(p.band, shortfall.min_band, rules):
        blockers.append(Blocker("band", f"Band {p.band}, shift needs band {shortfall.min_band}"))
    if p.status not in rules.active_statuses:
        blockers.append(Blocker("status", f"Status is {p.status}"))
    if p.registration_expires is not None and not is_valid_through(epoch(p.registration_expires), end):
        blockers.append(
            Blocker("registration", _expiry_detail("Registration", p.registration_expires, now_seconds))
        )
    for code in sorted(shortfall.requires):
        expires = p.credentials.get(code)
        if expires is None:
            blockers.append(Blocker("credential", f"No {credential_label(code)} on file"))
        elif not is_valid_through(epoch(expires), end):
            blockers.append(
                Blocker("credential", _expiry_detail(credential_label(code), expires, now_seconds))
            )
    if ward.trust in p.blocked_trusts:
        blockers.append(Blocker("do_not_book", f"On {ward.trust_display_name}'s do-not-book list"))
    if ward.id in p.blocked_wards:
        blockers.append(Blocker("do_not_book", f"On {ward.display_name}'s do-not-book list"))
    if shortfall.gender is not None and p.gender != shortfall.gender:
        blockers.append(Blocker("gender", f"Shift needs a {shortfall.gender} practitioner"))
    lat1, lat2 = np.radians([p.lat]), np.radians([ward.lat])
    km = float(
        distance_km(lat1, np.radians([p.lon]), np.cos(lat1), lat2, np.radians([ward.lon]), np.cos(lat2))[0]
    )
    if not km <= p.radius_km + shortfall.extra_radius_km:
        reach = p.radius_km + shortfall.extra_radius_km
        blockers.append(Blocker("travel", f"{km:.1f} km away, travel radius {reach:g} km"))
    rate = np.nan if p.hourly_rate is None else p.hourly_rate
    if not is_within_rate(rate, shortfall.rate_cap):
        blockers.append(Blocker("rate", f"Rate £{rate:.2f}/h is above the cap £{shortfall.rate_cap:.2f}/h"))
    blockers.extend(_time_blockers(start, end, p, rules))
    return blockers


def _expiry_detail(label: str, expires: datetime, now_seconds: float | None) -> str:
    if expires.year == datetime.min.year:  # the adapter's "registered, but no expiry date on file"
        return f"{label} expiry date not on file"
    if now_seconds is not None and epoch(expires) < now_seconds:
        return f"{label} expired {local_date_text(expires)}"
    return f"{label} expires {local_text(expires)}, before the shift ends"


def _time_blockers(start: int, end: int, p: Practitioner, rules: Rules) -> list[Blocker]:
    blockers: list[Blocker] = []
    rest = rules.min_rest_hours * HOUR
    booked = sorted((epoch(b.start), epoch(b.end)) for b in p.booked)
    for other_start, other_end in booked:
        if overlaps(start, end, other_start, other_end):
            blockers.append(
                Blocker("overlap", f"Already booked {local_text(other_start)} to {local_text(other_end)}")
            )
        elif rest_clash(start, end, other_start, other_end, rest):
            if other_end <= start:
                gap, where = start - other_end, f"after shift ending {local_text(other_end)}"
            else:
                gap, where = other_start - end, f"before shift starting {local_text(other_start)}"
            blockers.append(Blocker("rest", f"Only {duration_text(gap)} rest {where}"))
    cap = week_cap_hours(p, rules) * HOUR
    shifts = [*booked, (start, end)]
    worst: tuple[float, float] | None = None
    for window_start, _ in shifts:
        if not starts_in_window(start, window_start):
            continue  # windows without the candidate are unchanged by booking it
        total = sum(e - s for s, e in shifts if starts_in_window(s, window_start))
        if total > cap and (worst is None or total > worst[0]):
            worst = (total, window_start)
    if worst is not None:
        blockers.append(
            Blocker(
                "weekly_hours",
                f"Would work {duration_text(worst[0])} in the 7 days from {local_text(worst[1])}, "
                f"cap {duration_text(cap)}",
            )
        )
    return blockers


# Vectorised path: the same rules as masks over the pool --------------------------------------------


def _static_masks(
    shortfall: Shortfall, ward: Ward, pool: PractitionerPool, rules: Rules, *, timed: bool = True
) -> dict[str, np.ndarray]:
    role_code = pool.role_codes.get(shortfall.role, -1)
    active_codes = [code for status, code in pool.status_codes.items() if status in rules.active_statuses]
    do_not_book = np.ones(pool.size, bool)
    for blocked in (pool.blocked_by_trust.get(ward.trust), pool.blocked_by_ward.get(ward.id)):
        if blocked is not None:
            do_not_book[blocked] = False
    if shortfall.gender is None:
        gender = np.ones(pool.size, bool)
    else:
        gender = pool.gender == pool.gender_codes.get(shortfall.gender, -2)
    masks = {
        "role": pool.role == role_code,
        "band": band_fits(pool.band, shortfall.min_band, rules),
        "status": np.isin(pool.status, active_codes),
        "do_not_book": do_not_book,
        "gender": gender,
        "rate": is_within_rate(pool.hourly_rate, shortfall.rate_cap),
    }
    if timed:
        end = float(epoch(shortfall.end))
        masks["registration"] = is_valid_through(pool.registration_expiry, end)
        masks["credential"] = np.ones(pool.size, bool)
        for code in shortfall.requires:
            masks["credential"] &= is_valid_through(pool.credential_expiry_of(code), end)
    return masks


def _distances(ward: Ward, pool: PractitionerPool, positions: np.ndarray | None = None) -> np.ndarray:
    ward_lat = np.radians(np.array([ward.lat]))
    ward_lon = np.radians(np.array([ward.lon]))
    ward_cos = np.cos(ward_lat)
    if positions is None:
        return distance_km(pool.lat_rad, pool.lon_rad, pool.cos_lat, ward_lat, ward_lon, ward_cos)
    return distance_km(
        pool.lat_rad[positions],
        pool.lon_rad[positions],
        pool.cos_lat[positions],
        ward_lat,
        ward_lon,
        ward_cos,
    )


def _time_failures(
    shortfall: Shortfall, pool: PractitionerPool, rules: Rules, positions: np.ndarray
) -> dict[str, np.ndarray]:
    """Which of ``positions`` a booked shift blocks, as 'fails' masks aligned with ``positions``."""
    starts, ends = np.array([epoch(shortfall.start)], float), np.array([epoch(shortfall.end)], float)
    return {
        code: fails[0] for code, fails in _time_failures_many(starts, ends, pool, rules, positions).items()
    }


def _time_failures_many(
    starts: np.ndarray, ends: np.ndarray, pool: PractitionerPool, rules: Rules, positions: np.ndarray
) -> dict[str, np.ndarray]:
    """``_time_failures`` for several shifts over the same positions: masks of shape (shifts, positions)."""
    start, end = starts[:, None], ends[:, None]
    duration = end - start
    rest = rules.min_rest_hours * HOUR
    # Gather the booked shifts of just these practitioners from the CSR layout.
    first, last = pool.booked_offsets[positions], pool.booked_offsets[positions + 1]
    counts = last - first
    local = np.repeat(np.arange(len(positions)), counts)
    rows = np.repeat(first, counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    other_start, other_end = pool.booked_start[rows][None, :], pool.booked_end[rows][None, :]
    overlap_rows = overlaps(start, end, other_start, other_end)
    rest_rows = rest_clash(start, end, other_start, other_end, rest) & ~overlap_rows
    cap = pool.week_cap_seconds(rules)[positions]
    # Windows opened by booked shifts that the candidate falls into: their hours plus the candidate's.
    over_cap_before = starts_in_window(start, other_start) & (
        pool.booked_window_seconds[rows][None, :] + duration > cap[local][None, :]
    )
    # The window the candidate itself opens.
    in_own_window = starts_in_window(other_start, start)
    shape = (len(starts), len(positions))
    cell = np.arange(len(starts))[:, None] * len(positions) + local[None, :]  # (shift, position) of each row
    ahead = np.bincount(cell[in_own_window], weights=np.broadcast_to(other_end - other_start, cell.shape)[in_own_window],
                        minlength=shape[0] * shape[1]).reshape(shape)  # fmt: skip

    def any_row(mask: np.ndarray) -> np.ndarray:
        hit = np.zeros(shape[0] * shape[1], bool)
        hit[cell[mask]] = True
        return hit.reshape(shape)

    weekly = (ahead + duration > cap[None, :]) | any_row(over_cap_before)
    return {"overlap": any_row(overlap_rows), "rest": any_row(rest_rows), "weekly_hours": weekly}


def pair_masks(
    shortfall: Shortfall, ward: Ward, pool: PractitionerPool, rules: Rules
) -> dict[str, np.ndarray]:
    """Every rule over the whole pool, True = passes (for 'why not offered' and for tests)."""
    masks = _static_masks(shortfall, ward, pool, rules)
    masks["travel"] = _distances(ward, pool) <= pool.radius_km + shortfall.extra_radius_km
    for code, fails in _time_failures(shortfall, pool, rules, np.arange(pool.size)).items():
        masks[code] = ~fails
    return {code: masks[code] for code in RULE_CODES}


def static_positions(
    shortfall: Shortfall, ward: Ward, pool: PractitionerPool, rules: Rules
) -> tuple[np.ndarray, np.ndarray]:
    """Positions passing every rule that does not depend on the shift's time, and their distance.

    Shortfalls with the same ward, role, band, gender and rate cap share this result, which is what
    makes building every edge of a large horizon cheap. (Credentials depend on the shift's end.)
    """
    masks = _static_masks(shortfall, ward, pool, rules, timed=False)
    passing = masks["role"]
    for code in ("band", "status", "do_not_book", "gender", "rate"):
        passing &= masks[code]
    positions = np.flatnonzero(passing)
    km = _distances(ward, pool, positions)
    near = km <= pool.radius_km[positions] + shortfall.extra_radius_km
    return positions[near], km[near]


class StaticFilter:
    """``static_positions`` for the many shortfalls of one horizon, sharing the work between them.

    The masks that depend only on role, band, gender and rate cap are evaluated once per such
    combination, and the distance from the whole pool to a ward once per ward (the same arithmetic
    as ``static_positions``, so the same positions and distances come out).
    """

    def __init__(self, pool: PractitionerPool, rules: Rules) -> None:
        self.pool, self.rules = pool, rules
        self._people: dict[tuple[object, ...], np.ndarray] = {}
        self._km: dict[str, np.ndarray] = {}  # per ward: distance of every practitioner
        self._allowed: dict[str, np.ndarray] = {}  # per ward: not on a do-not-book list for it

    def positions(self, shortfall: Shortfall, ward: Ward) -> tuple[np.ndarray, np.ndarray]:
        pool = self.pool
        key = (shortfall.role, shortfall.min_band, shortfall.gender, shortfall.rate_cap)
        people = self._people.get(key)
        if people is None:
            masks = _static_masks(shortfall, ward, pool, self.rules, timed=False)
            passing = masks["role"]
            for code in ("band", "status", "gender", "rate"):
                passing &= masks[code]
            people = self._people[key] = np.flatnonzero(passing)
        if ward.id not in self._km:
            allowed = np.ones(pool.size, bool)
            for blocked in (pool.blocked_by_trust.get(ward.trust), pool.blocked_by_ward.get(ward.id)):
                if blocked is not None:
                    allowed[blocked] = False
            self._allowed[ward.id], self._km[ward.id] = allowed, _distances(ward, pool)
        people = people[self._allowed[ward.id][people]]
        km = self._km[ward.id][people]
        near = km <= pool.radius_km[people] + shortfall.extra_radius_km
        return people[near], km[near]


def passes_timed_rules(
    shortfall: Shortfall, pool: PractitionerPool, rules: Rules, positions: np.ndarray
) -> np.ndarray:
    """Mask over ``positions``: registration and credentials valid through the end, no overlap,
    enough rest and weekly hours left around booked shifts."""
    return passes_timed_rules_many([shortfall], pool, rules, positions)[0]


def passes_timed_rules_many(
    shortfalls: Sequence[Shortfall], pool: PractitionerPool, rules: Rules, positions: np.ndarray
) -> np.ndarray:
    """``passes_timed_rules`` for several shortfalls over the same positions, at once: a mask of
    shape (shortfalls, positions)."""
    starts = np.array([epoch(s.start) for s in shortfalls], float)
    ends = np.array([epoch(s.end) for s in shortfalls], float)
    passing = is_valid_through(pool.registration_expiry[positions][None, :], ends[:, None])
    for code in sorted({code for s in shortfalls for code in s.requires}):
        needs = np.array([code in s.requires for s in shortfalls])
        passing[needs] &= is_valid_through(
            pool.credential_expiry_of(code)[positions][None, :], ends[needs, None]
        )
    time_fails = _time_failures_many(starts, ends, pool, rules, positions)
    return passing & ~(time_fails["overlap"] | time_fails["rest"] | time_fails["weekly_hours"])


def eligible_positions(
    shortfall: Shortfall, ward: Ward, pool: PractitionerPool, rules: Rules
) -> tuple[np.ndarray, np.ndarray]:
    """Pool positions of eligible practitioners (ascending) and their distance in km.

    Cheap column tests first, then distance and the booked-shift rules only for the survivors.
    """
    positions, km = static_positions(shortfall, ward, pool, rules)
    keep = passes_timed_rules(shortfall, pool, rules, positions)
    return positions[keep], km[keep]


# One practitioner against many shortfalls ('roles for you') ---------------------------------------


def shortfall_masks(
    shortfalls: Sequence[Shortfall],
    wards: Mapping[str, Ward],
    pool: PractitionerPool,
    rules: Rules,
    position: int = 0,
) -> dict[str, np.ndarray]:
    """``pair_masks`` turned around: every rule for the practitioner at ``position`` over many
    shortfalls at once, True = passes. The same predicates as the pool path, so 'roles for you'
    and the ranking cannot disagree (a property test checks it)."""
    p, n = position, len(shortfalls)
    rows = [wards[s.ward] for s in shortfalls]
    starts = np.array([epoch(s.start) for s in shortfalls], float)
    ends = np.array([epoch(s.end) for s in shortfalls], float)
    active_codes = [code for status, code in pool.status_codes.items() if status in rules.active_statuses]
    blocked_trusts = {trust for trust, who in pool.blocked_by_trust.items() if p in who}
    blocked_wards = {ward for ward, who in pool.blocked_by_ward.items() if p in who}
    gender = pool.gender[p]
    credential = np.ones(n, bool)
    for code in sorted({code for s in shortfalls for code in s.requires}):
        needs = np.array([code in s.requires for s in shortfalls], bool)
        credential[needs] &= is_valid_through(pool.credential_expiry_of(code)[p], ends[needs])
    km = _distances_from(rows, pool, p)
    extra = np.array([s.extra_radius_km for s in shortfalls], float)
    caps = np.array([np.nan if s.rate_cap is None else s.rate_cap for s in shortfalls], float)
    masks = {
        "role": np.array([pool.role_codes.get(s.role, -1) for s in shortfalls], np.int64) == pool.role[p],
        "band": band_fits(pool.band[p], np.array([s.min_band for s in shortfalls], np.int64), rules),
        "status": np.full(n, pool.status[p] in active_codes),
        "registration": is_valid_through(pool.registration_expiry[p], ends),
        "credential": credential,
        "do_not_book": np.array(
            [w.trust not in blocked_trusts and w.id not in blocked_wards for w in rows], bool
        ),
        "gender": np.array(
            [s.gender is None or gender == pool.gender_codes.get(s.gender, -2) for s in shortfalls], bool
        ),
        "travel": km <= pool.radius_km[p] + extra,
        # A NaN cap is no cap: nothing is above NaN, as nothing is above None in is_within_rate.
        "rate": is_within_rate(pool.hourly_rate[p], caps),
    }
    for code, fails in _time_failures_many(starts, ends, pool, rules, np.array([p])).items():
        masks[code] = ~fails[:, 0]
    return {code: np.asarray(masks[code], bool).reshape(n) for code in RULE_CODES}


def eligible_shortfalls(
    shortfalls: Sequence[Shortfall],
    wards: Mapping[str, Ward],
    pool: PractitionerPool,
    rules: Rules,
    position: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the shortfalls the practitioner at ``position`` may work, and the distance to each."""
    if not shortfalls:
        return np.zeros(0, np.int64), np.zeros(0)
    masks = shortfall_masks(shortfalls, wards, pool, rules, position)
    chosen = np.flatnonzero(np.logical_and.reduce([masks[code] for code in RULE_CODES]))
    km = _distances_from([wards[shortfalls[k].ward] for k in chosen.tolist()], pool, position)
    return chosen, km


def _distances_from(rows: Sequence[Ward], pool: PractitionerPool, position: int) -> np.ndarray:
    """``_distances`` the other way round: from one practitioner to many wards (same arithmetic)."""
    ward_lat = np.radians(np.array([w.lat for w in rows], float))
    ward_lon = np.radians(np.array([w.lon for w in rows], float))
    p = position
    return distance_km(
        pool.lat_rad[p], pool.lon_rad[p], pool.cos_lat[p], ward_lat, ward_lon, np.cos(ward_lat)
    )
