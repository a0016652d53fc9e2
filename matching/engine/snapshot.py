"""The practitioner pool as numpy columns, built once per process and reused for every ranking.

PostgreSQL stays the system of record; this is a read-only snapshot so that the hard rules become
boolean masks and the score a weighted sum over 50,000 practitioners in a few milliseconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from matching.engine.clock import WEEK, epoch
from matching.engine.model import Practitioner, Rules, Ward


@dataclass(frozen=True)
class WardLedger:
    """Continuity ledger rows for one ward (or trust, or setting): who, how many shifts, when."""

    index: np.ndarray  # practitioner positions
    shifts: np.ndarray
    last_worked: np.ndarray  # epoch seconds, -inf when unknown


def _ledger(rows: list[tuple[int, int, float]]) -> WardLedger:
    """Rows merged per practitioner (shifts summed, latest date kept), sorted by position for lookups."""
    merged: dict[int, tuple[int, float]] = {}
    for i, shifts, last in rows:
        before = merged.get(i, (0, -np.inf))
        merged[i] = (before[0] + shifts, max(before[1], last))
    index = np.array(sorted(merged), dtype=np.int64)
    return WardLedger(
        index,
        np.array([merged[i][0] for i in index.tolist()], float),
        np.array([merged[i][1] for i in index.tolist()], float),
    )


class PractitionerPool:
    """Column arrays over a fixed list of practitioners; position ``i`` is ``practitioners[i]``."""

    def __init__(self, practitioners: Sequence[Practitioner], wards: Iterable[Ward], now: datetime) -> None:
        self.practitioners: tuple[Practitioner, ...] = tuple(practitioners)
        self.wards: dict[str, Ward] = {ward.id: ward for ward in wards}
        self.now = now
        self.ids: list[str] = [practitioner.id for practitioner in self.practitioners]
        self.position: dict[str, int] = {pid: i for i, pid in enumerate(self.ids)}
        if len(self.position) != len(self.ids):
            raise ValueError("duplicate practitioner ids")
        n = self.size = len(self.ids)
        people = self.practitioners

        # Position of each id in sorted order: the final, deterministic tie-break.
        self.id_order = np.empty(n, dtype=np.int64)
        self.id_order[np.argsort(np.asarray(self.ids, dtype=object), kind="stable")] = np.arange(n)

        self.role_codes: dict[str, int] = {}
        self.role = np.array(
            [self.role_codes.setdefault(p.role, len(self.role_codes)) for p in people], np.int64
        )
        self.band = np.array([p.band for p in people], np.int64)
        self.status_codes: dict[str, int] = {}
        self.status = np.array(
            [self.status_codes.setdefault(p.status, len(self.status_codes)) for p in people], np.int64
        )
        self.gender_codes: dict[str, int] = {}
        self.gender = np.array(
            [
                -1 if p.gender is None else self.gender_codes.setdefault(p.gender, len(self.gender_codes))
                for p in people
            ],
            np.int64,
        )
        self.lat_rad = np.radians(np.array([p.lat for p in people], float))
        self.lon_rad = np.radians(np.array([p.lon for p in people], float))
        self.cos_lat = np.cos(self.lat_rad)
        self.radius_km = np.array([p.radius_km for p in people], float)
        self.registration_expiry = np.array(
            [np.inf if p.registration_expires is None else epoch(p.registration_expires) for p in people],
            float,
        )
        self.hourly_rate = np.array(
            [np.nan if p.hourly_rate is None else p.hourly_rate for p in people], float
        )
        self.own_week_cap_hours = np.array(
            [np.nan if p.week_hours_cap is None else p.week_hours_cap for p in people]
        )
        self.has_opted_out = np.array([p.has_opted_out for p in people], bool)
        self._cap_cache: dict[tuple[float, float], np.ndarray] = {}

        # Credential expiry matrix: one column per type, -inf where not held.
        credential_types = sorted({code for p in people for code in p.credentials})
        self.credential_column: dict[str, int] = {code: c for c, code in enumerate(credential_types)}
        self.credential_expiry = np.full((n, len(credential_types)), -np.inf)
        for i, p in enumerate(people):
            for code, expires in p.credentials.items():
                self.credential_expiry[i, self.credential_column[code]] = epoch(expires)
        self._never_held = np.full(n, -np.inf)

        self.blocked_by_trust = self._index_by(
            ((i, t) for i, p in enumerate(people) for t in p.blocked_trusts)
        )
        self.blocked_by_ward = self._index_by(((i, w) for i, p in enumerate(people) for w in p.blocked_wards))

        self._build_booked()
        self._build_history()

        competences = sorted({c for p in people for c in p.competences})
        self.competence_column: dict[str, int] = {c: k for k, c in enumerate(competences)}
        self.competence = np.zeros((n, len(competences)), bool)
        for i, p in enumerate(people):
            for c in p.competences:
                self.competence[i, self.competence_column[c]] = True

        self.rating_count = np.array([p.rating_count for p in people], float)
        self.rating_mean = np.array(
            [np.nan if p.rating_mean is None else p.rating_mean for p in people], float
        )
        self.completed = np.array([p.reliability.completed for p in people], float)
        self.late_cancellations = np.array([p.reliability.late_cancellations for p in people], float)
        self.no_shows = np.array([p.reliability.no_shows for p in people], float)
        self.preferred_setting = self._index_by(
            ((i, s) for i, p in enumerate(people) for s in p.preferences.preferred_settings)
        )
        self.has_setting_preference = np.array([bool(p.preferences.preferred_settings) for p in people])
        self.preferred_max_km = np.array(
            [
                np.inf if p.preferences.max_distance_km is None else p.preferences.max_distance_km
                for p in people
            ]
        )
        shift_time_code = {None: 0, "day": 1, "night": 2}
        self.preferred_shift_time = np.array(
            [shift_time_code[p.preferences.shift_time] for p in people], np.int64
        )
        self.declared_setting = self._index_by(
            ((i, s) for i, p in enumerate(people) for s in p.settings_experience)
        )

    @staticmethod
    def _index_by(pairs: Iterable[tuple[int, str]]) -> dict[str, np.ndarray]:
        grouped: dict[str, list[int]] = defaultdict(list)
        for i, key in pairs:
            grouped[key].append(i)
        return {key: np.asarray(sorted(set(index)), dtype=np.int64) for key, index in grouped.items()}

    def _build_booked(self) -> None:
        """Booked shifts in CSR layout: practitioner i's shifts, by start, are rows offsets[i]:offsets[i+1]."""
        rows = [(i, epoch(b.start), epoch(b.end)) for i, p in enumerate(self.practitioners) for b in p.booked]
        owner = np.array([r[0] for r in rows], np.int64)
        start = np.array([r[1] for r in rows], float)
        end = np.array([r[2] for r in rows], float)
        order = np.lexsort((start, owner))
        owner, start, end = owner[order], start[order], end[order]
        # Seconds booked in each booked shift's own 7-day window [start, start + 168 h): a candidate
        # falling inside that window adds its own length to it. Prefix sums over (owner, start) order.
        key = owner * 1e10 + start  # exact: < 2**53
        cumulative = np.concatenate(([0.0], np.cumsum(end - start)))
        window_end = np.searchsorted(key, key + WEEK, side="left")
        self.booked_owner = owner
        self.booked_start = start
        self.booked_end = end
        self.booked_window_seconds = cumulative[window_end] - cumulative[np.arange(len(rows))]
        self.booked_offsets = np.searchsorted(owner, np.arange(self.size + 1), side="left").astype(np.int64)
        now = epoch(self.now)
        this_week = (start >= now) & (start < now + WEEK)
        derived = np.bincount(owner[this_week], weights=(end - start)[this_week] / 3600, minlength=self.size)
        given = np.array(
            [
                np.nan if p.hours_booked_this_week is None else p.hours_booked_this_week
                for p in self.practitioners
            ]
        )
        self.hours_this_week = np.where(np.isnan(given), derived, given) if self.size else np.zeros(0)

    def _build_history(self) -> None:
        by_ward: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
        trust_totals: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        setting_totals: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for i, p in enumerate(self.practitioners):
            for row in p.history:
                last = -np.inf if row.last_worked is None else float(epoch(row.last_worked))
                by_ward[row.ward].append((i, row.shifts, last))
                ward = self.wards.get(row.ward)
                if ward is not None:
                    trust_totals[ward.trust][i] += row.shifts
                    setting_totals[ward.setting][i] += row.shifts
        self.history_by_ward = {ward: _ledger(rows) for ward, rows in by_ward.items()}
        self.history_by_trust = {
            trust: _ledger([(i, s, -np.inf) for i, s in totals.items()])
            for trust, totals in trust_totals.items()
        }
        self.history_by_setting = {
            setting: _ledger([(i, s, -np.inf) for i, s in totals.items()])
            for setting, totals in setting_totals.items()
        }

    # Lookups used by eligibility and scoring -------------------------------------------------------

    def credential_expiry_of(self, code: str) -> np.ndarray:
        column = self.credential_column.get(code)
        return self._never_held if column is None else self.credential_expiry[:, column]

    def week_cap_seconds(self, rules: Rules) -> np.ndarray:
        key = (rules.week_hours_cap, rules.opt_out_max_hours)
        cached = self._cap_cache.get(key)
        if cached is None:
            default = np.where(self.has_opted_out, rules.opt_out_max_hours, rules.week_hours_cap)
            cached = np.where(np.isnan(self.own_week_cap_hours), default, self.own_week_cap_hours) * 3600
            self._cap_cache[key] = cached
        return cached

    @staticmethod
    def lookup(
        ledger: WardLedger | None, positions: np.ndarray, values: np.ndarray | None = None, fill: float = 0.0
    ) -> np.ndarray:
        """A ledger column (default: shift counts) for the given positions, ``fill`` where absent."""
        if ledger is None or not len(ledger.index):
            return np.full(len(positions), fill)
        at = np.minimum(np.searchsorted(ledger.index, positions), len(ledger.index) - 1)
        found = ledger.index[at] == positions
        column = ledger.shifts if values is None else values
        return np.where(found, column[at], fill)

    @staticmethod
    def is_member(index: np.ndarray | None, positions: np.ndarray) -> np.ndarray:
        """Whether each position is in a sorted index array (e.g. who prefers this setting)."""
        if index is None or not len(index):
            return np.zeros(len(positions), bool)
        at = np.minimum(np.searchsorted(index, positions), len(index) - 1)
        return index[at] == positions


def build_pool(
    practitioners: Sequence[Practitioner], wards: Iterable[Ward], now: datetime
) -> PractitionerPool:
    return PractitionerPool(practitioners, wards, now)


def ward_lookup(wards: Iterable[Ward]) -> Mapping[str, Ward]:
    return {ward.id: ward for ward in wards}
