"""Every parameter of the operations simulator in one place, with what it means and why it has the
value it has. Change a value here (or pass a replaced copy to the runner); the same config and seed
always give the same results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class SimulationConfig:
    seed: int = 7

    # --- the world (seeded with backend/organisations/demo, history included) ---------------------
    trusts: int = 5
    wards: int = 60
    sites_per_trust: int = 3
    practitioners: int = 200
    # Past shortfalls per ward per day over the seeded 12 months: builds the continuity ledger
    # (WardExperience) the familiar-first wave draws on.
    history_per_ward_day: float = 0.35
    # Monday 00:00 London; no clock change inside the default four weeks.
    start: dt.datetime = dt.datetime(2027, 1, 4, tzinfo=LONDON)
    weeks: int = 4

    # --- demand (jobs/simulation/demand.py) --------------------------------------------------------
    # Mean shortfalls per ward per day on a weekday, before the setting's own multiplier
    # (backend/organisations/demo/spec.py SETTING_DEMAND).
    shortfalls_per_ward_day: float = 0.10
    weekend_factor: float = 1.35  # weekends run shorter (fewer substantive staff rostered)
    # Share of shortfalls by shift (day shifts split early / late / long day by the seed's mix).
    night_share: float = 0.32
    # Lead time (start - posted) mixture: (share, shortest hours, longest hours), drawn log-uniform.
    lead_times: tuple[tuple[float, float, float], ...] = (
        (0.30, 7 * 24, 21 * 24),  # planned from the e-roster, one to three weeks ahead
        (0.35, 24, 7 * 24),  # this week
        (0.23, 6, 24),  # tomorrow / tonight
        (0.12, 1.5, 6),  # hours: sickness on the day
    )
    trust_cancel_rate: float = 0.05  # shortfalls the trust cancels (covered by own staff, bed closed)

    # --- behaviour (jobs/simulation/behaviour.py) ---------------------------------------------------
    # Share of offers a practitioner never answers (phone off, not looking for work this week).
    ignore_rate: float = 0.25
    # Minutes from the message to an answer: log-normal with this median and spread (sigma). Answers
    # to urgent offers (shift inside 12 h: SMS) come faster. Messages that arrive between 23:00 and
    # 07:00 London time wait for the morning.
    response_median_minutes: float = 45.0
    urgent_response_median_minutes: float = 12.0
    response_sigma: float = 1.0
    night_quiet_hours: tuple[int, int] = (23, 7)
    # Acceptance: logistic in these terms (log-odds). A stranger to the ward, no preference either
    # way, at the median distance, with no hours booked that week accepts with p = logistic(base).
    accept_base: float = -1.0
    accept_per_shift_on_ward: float = 0.35  # per shift worked on this ward, up to the cap below
    accept_ward_shifts_cap: int = 6
    accept_knows_trust: float = 0.3  # has worked another ward of the trust
    accept_preferred_setting: float = 0.5
    accept_shift_preference: float = 0.6  # the shift is at the time of day they prefer
    accept_against_shift_preference: float = -0.6
    accept_per_10_km: float = -0.25  # from home to the ward, straight line
    accept_per_12_hours_booked: float = -0.45  # already booked in the 7 days around the shift
    # Practitioner cancellations after booking: the share cancelled, and the notice they give
    # (hours before the start, exponential with this mean; under 12 h is a late cancellation).
    # Practitioners who know the ward cancel less often (an assumption, not a finding: set the
    # factor to 1.0 to switch it off).
    practitioner_cancel_rate: float = 0.07
    cancel_notice_mean_hours: float = 30.0
    familiar_cancel_factor: float = 0.7
    no_show_rate: float = 0.015  # booked and never arrived (recorded by the simulator, see runner)

    # --- the platform ---------------------------------------------------------------------------------
    # Beat intervals (backend/settings.py CELERY_BEAT_SCHEDULE): the simulator runs each sweep on this
    # grid of simulated time, skipping ticks where nothing can be due.
    sweep_seconds: int = 30
    complete_sweep_seconds: int = 600
    escalate_sweep_seconds: int = 300
    # The matching snapshot is rebuilt when older than this much simulated time (see runner.py).
    snapshot_max_age_minutes: int = 10
    # Continuity rate windows (DESIGN.md: worked the ward in the previous 90 days / 12 months).
    continuity_days: int = 90

    policies: tuple[str, ...] = field(
        default=("broadcast", "familiar_first", "hold_15", "hold_90", "wave1_3", "wave1_25", "no_reoffer")
    )

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(weeks=self.weeks)
