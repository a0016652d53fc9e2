"""Engine inputs and outputs as frozen dataclasses.

The Django adapter (``matching/candidates.py``) builds these from the ORM; the CLI builds them from
the ``staffing-match-instance/1`` JSON. Nothing here knows about either.
All datetimes are timezone-aware; the engine compares them as UTC epoch seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Ward:
    id: str
    trust: str
    setting: str
    lat: float
    lon: float
    name: str = ""
    trust_name: str = ""
    gender: str | None = None  # male / female / mixed: informational, the shortfall carries the rule
    needs: frozenset[str] = frozenset()  # e.g. "detained_patients", "one_to_one_obs"
    aliases: tuple[str, ...] = ()  # e-roster spellings, for taxonomy.resolve_ward

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def trust_display_name(self) -> str:
        return self.trust_name or self.trust


@dataclass(frozen=True)
class Shortfall:
    id: str
    ward: str
    role: str
    min_band: int
    start: datetime
    end: datetime
    headcount: int = 1
    requires: frozenset[str] = frozenset()  # credential type codes, setting presets already folded in
    desired_competences: frozenset[str] = frozenset()
    gender: str | None = None
    rate_cap: float | None = None  # max hourly rate the trust will pay, None = no cap
    extra_radius_km: float = 0.0  # agency broadening: added to every practitioner's travel radius

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class WardHistory:
    """One row of the continuity ledger (WardExperience)."""

    ward: str
    shifts: int
    last_worked: datetime | None = None
    last_rating: float | None = None


@dataclass(frozen=True)
class Reliability:
    completed: int = 0
    late_cancellations: int = 0
    no_shows: int = 0


@dataclass(frozen=True)
class Preferences:
    preferred_settings: frozenset[str] = frozenset()  # empty = no preference
    max_distance_km: float | None = None  # softer than the hard travel radius
    shift_time: str | None = None  # "day", "night" or None


@dataclass(frozen=True)
class Practitioner:
    id: str
    role: str
    band: int
    gender: str | None
    lat: float
    lon: float
    radius_km: float
    week_hours_cap: float | None = None  # None = the rules' default (or opt-out maximum)
    has_opted_out: bool = False  # Working Time Regulations 48 h opt-out
    status: str = "active"
    registration_expires: datetime | None = None  # None = no professional registration to check
    credentials: Mapping[str, datetime] = field(default_factory=dict)
    competences: frozenset[str] = frozenset()
    settings_experience: frozenset[str] = frozenset()  # declared, beyond what history shows
    blocked_trusts: frozenset[str] = frozenset()
    blocked_wards: frozenset[str] = frozenset()
    booked: tuple[Interval, ...] = ()
    history: tuple[WardHistory, ...] = ()
    rating_count: int = 0
    rating_mean: float | None = None  # 1-5
    reliability: Reliability = Reliability()
    preferences: Preferences = Preferences()
    hourly_rate: float | None = None
    hours_booked_this_week: float | None = None  # None = derive from ``booked``

    def __hash__(self) -> int:  # credentials is a dict; identity is the id
        return hash(self.id)


@dataclass(frozen=True)
class Rules:
    min_rest_hours: float = 11.0
    week_hours_cap: float = 48.0
    opt_out_max_hours: float = 60.0
    # Band policy: a practitioner may be booked onto a shift whose minimum band is up to
    # ``band_up_allowance`` above their own (booking up), and at most ``max_band_above`` bands above
    # the minimum (booking down; None = no limit).
    band_up_allowance: int = 0
    max_band_above: int | None = None
    active_statuses: frozenset[str] = frozenset({"active"})


@dataclass(frozen=True)
class Weights:
    continuity: float = 4.0
    trust_familiarity: float = 1.0
    setting_experience: float = 1.5
    competence_fit: float = 1.5
    rating: float = 1.5
    reliability: float = 1.5
    distance: float = 1.0
    preferences: float = 0.75
    fairness: float = 0.75
    cost: float = 0.5

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class WeightBook:
    """Per-trust weights with a default, so a trust can say continuity matters more to it."""

    default: Weights = Weights()
    by_trust: Mapping[str, Weights] = field(default_factory=dict)

    def for_trust(self, trust: str) -> Weights:
        return self.by_trust.get(trust, self.default)

    def __hash__(self) -> int:
        return id(self)


@dataclass(frozen=True)
class Blocker:
    code: str
    detail: str


@dataclass(frozen=True)
class Candidate:
    practitioner_id: str
    score: float
    terms: Mapping[str, float]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class IneligibleCandidate:
    practitioner_id: str
    blockers: tuple[Blocker, ...]


@dataclass(frozen=True)
class Ranking:
    shortfall_id: str
    candidates: tuple[Candidate, ...]
    eligible_count: int
    ineligible: tuple[IneligibleCandidate, ...] = ()


@dataclass(frozen=True)
class Assignment:
    shortfall: str
    practitioner: str
    score: float


@dataclass(frozen=True)
class Edge:
    shortfall: str
    practitioner: str
    score: float
