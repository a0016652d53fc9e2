"""Derived tables for the fill-rate and continuity metrics (definitions: jobs/analytics/metrics.py).

Every table is rebuilt from the jobs tables by jobs/analytics/rollups.py and never edited by hand:
deleting every row and rebuilding gives the same numbers.

- DailyRollup: one row per (local start date, trust, ward, role, band, setting, day/night) holding
  only additive counters, so any coarser grouping (week, month, trust, ...) is a SUM.
- SlotFact: one row per requested slot (a shortfall of headcount 3 is three rows) with its lead
  time, time to fill and practitioner. Medians, p90s and distinct-staff counts cannot be summed;
  they are computed exactly from these rows (PostgreSQL percentile_cont).
- PeriodSummary: the dashboard groupings of whole weeks and months, counters summed and order
  statistics computed from the two tables above (jobs/analytics/summaries.py), so 12-month
  dashboards read a few hundred rows.
"""

from __future__ import annotations

from django.db import models

_COUNTER_HELP = {
    "slots_requested": "Slots requested, excluding shortfalls cancelled at or before the cutoff",
    "slots_cancelled_before_cutoff": "Slots of shortfalls cancelled at or before the cutoff (not requested)",
    "slots_filled": "Requested slots held by a booking",
    "seconds_requested": "Elapsed shift seconds x requested slots",
    "seconds_filled": "Elapsed shift seconds x filled slots",
    "slots_unfilled_at_start": "Slots still wanted at start with no booking made before start",
    "fills_continuity_90": "Filled slots whose practitioner worked the ward in the 90 days before",
    "fills_continuity_365": "Filled slots whose practitioner worked the ward in the 365 days before",
    "time_to_fill_seconds_sum": "Sum of booking made - shortfall posted over filled slots",
    "lead_time_seconds_sum": "Sum of start - posted over requested slots",
    "bookings_made": "Bookings of any status on requested shortfalls",
    "late_cancellations_12h": "Bookings the practitioner cancelled less than 12 h before start",
    "late_cancellations_4h": "Bookings the practitioner cancelled less than 4 h before start",
    "trust_late_cancellations_12h": "Bookings the trust cancelled less than 12 h before start",
    "trust_late_cancellations_4h": "Bookings the trust cancelled less than 4 h before start",
    "bookings_completed": "Bookings completed",
    "bookings_no_show": "Bookings marked no-show",
    "offers_sent": "Offers that reached a practitioner",
    "offers_accepted": "Offers accepted",
    "offers_declined": "Offers declined",
    "offers_expired": "Offers that expired unanswered",
}
COUNTERS = tuple(_COUNTER_HELP)


class RollupCounters(models.Model):
    """The additive counters, shared by the daily and the period tables."""

    slots_requested = models.PositiveIntegerField(default=0, help_text=_COUNTER_HELP["slots_requested"])
    slots_cancelled_before_cutoff = models.PositiveIntegerField(
        default=0, help_text=_COUNTER_HELP["slots_cancelled_before_cutoff"]
    )
    slots_filled = models.PositiveIntegerField(default=0, help_text=_COUNTER_HELP["slots_filled"])
    seconds_requested = models.BigIntegerField(default=0, help_text=_COUNTER_HELP["seconds_requested"])
    seconds_filled = models.BigIntegerField(default=0, help_text=_COUNTER_HELP["seconds_filled"])
    slots_unfilled_at_start = models.PositiveIntegerField(
        default=0, help_text=_COUNTER_HELP["slots_unfilled_at_start"]
    )
    fills_continuity_90 = models.PositiveIntegerField(
        default=0, help_text=_COUNTER_HELP["fills_continuity_90"]
    )
    fills_continuity_365 = models.PositiveIntegerField(
        default=0, help_text=_COUNTER_HELP["fills_continuity_365"]
    )
    time_to_fill_seconds_sum = models.BigIntegerField(
        default=0, help_text=_COUNTER_HELP["time_to_fill_seconds_sum"]
    )
    lead_time_seconds_sum = models.BigIntegerField(
        default=0, help_text=_COUNTER_HELP["lead_time_seconds_sum"]
    )
    bookings_made = models.PositiveIntegerField(default=0, help_text=_COUNTER_HELP["bookings_made"])
    late_cancellations_12h = models.PositiveIntegerField(
        default=0, help_text=_COUNTER_HELP["late_cancellations_12h"]
    )
    late_cancellations_4h = models.PositiveIntegerField(
        default=0, help_text=_COUNTER_HELP["late_cancellations_4h"]
    )
    trust_late_cancellations_12h = models.PositiveIntegerField(
        default=0, help_text=_COUNTER_HELP["trust_late_cancellations_12h"]
    )
    trust_late_cancellations_4h = models.PositiveIntegerField(
        default=0, help_text=_COUNTER_HELP["trust_late_cancellations_4h"]
    )
    bookings_completed = models.PositiveIntegerField(default=0, help_text=_COUNTER_HELP["bookings_completed"])
    bookings_no_show = models.PositiveIntegerField(default=0, help_text=_COUNTER_HELP["bookings_no_show"])
    offers_sent = models.PositiveIntegerField(default=0, help_text=_COUNTER_HELP["offers_sent"])
    offers_accepted = models.PositiveIntegerField(default=0, help_text=_COUNTER_HELP["offers_accepted"])
    offers_declined = models.PositiveIntegerField(default=0, help_text=_COUNTER_HELP["offers_declined"])
    offers_expired = models.PositiveIntegerField(default=0, help_text=_COUNTER_HELP["offers_expired"])

    class Meta:
        abstract = True


class DailyRollup(RollupCounters):
    day = models.DateField(help_text="Local (Europe/London) date of the shift start")
    trust = models.ForeignKey("organisations.Trust", on_delete=models.CASCADE, related_name="+")
    ward = models.ForeignKey("organisations.Ward", on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey("organisations.Role", on_delete=models.CASCADE, related_name="+")
    band = models.PositiveSmallIntegerField(help_text="The shortfall's minimum band")
    setting = models.ForeignKey("organisations.Setting", on_delete=models.CASCADE, related_name="+")
    is_night = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "trust", "ward", "role", "band", "setting", "is_night"],
                name="daily_rollup_one_row_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["trust", "day"], name="daily_rollup_trust_day"),
            models.Index(fields=["ward", "day"], name="daily_rollup_ward_day"),
            models.Index(fields=["day"], name="daily_rollup_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} ward {self.ward_id}: {self.slots_filled}/{self.slots_requested}"


class SlotFact(models.Model):
    """One requested slot. Filled slots carry the practitioner and the time to fill."""

    shortfall = models.ForeignKey("jobs.Shortfall", on_delete=models.CASCADE, related_name="+")
    slot = models.PositiveSmallIntegerField(
        help_text="0 .. headcount-1; filled slots first, in booking order"
    )
    day = models.DateField(help_text="Local (Europe/London) date of the shift start")
    trust = models.ForeignKey("organisations.Trust", on_delete=models.CASCADE, related_name="+")
    ward = models.ForeignKey("organisations.Ward", on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey("organisations.Role", on_delete=models.CASCADE, related_name="+")
    band = models.PositiveSmallIntegerField()
    setting = models.ForeignKey("organisations.Setting", on_delete=models.CASCADE, related_name="+")
    is_night = models.BooleanField()
    lead_time_seconds = models.IntegerField()
    # Null when the slot is unfilled. Not a ForeignKey: a derived row must never block deleting
    # a practitioner, and the id is only counted (distinct staff).
    practitioner_id = models.BigIntegerField(null=True, blank=True)
    time_to_fill_seconds = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shortfall", "slot"], name="slot_fact_one_row_per_slot"),
        ]
        indexes = [
            models.Index(fields=["trust", "day"], name="slot_fact_trust_day"),
            models.Index(fields=["ward", "day"], name="slot_fact_ward_day"),
            models.Index(fields=["day"], name="slot_fact_day"),
        ]

    def __str__(self) -> str:
        return f"shortfall {self.shortfall_id} slot {self.slot}"


class PeriodSummary(RollupCounters):
    """One row per (period, grouping, key) for the dashboard groupings of a whole week or month: the
    summed counters and the exact order statistics of that period, so a 12-month dashboard reads a
    few hundred rows instead of ~400 k daily rows and ~1 M slot rows.

    `grouping` names the dimensions set on the row ("ward", "role,band,day_night", "" for none).
    A row with a trust covers that trust only; a row without one covers every trust of the agency
    (what agency staff see), and never has a ward. Rebuilt with the daily tables by rollups.py
    (PostgreSQL only; on other databases the queries use the daily tables)."""

    class Period(models.TextChoices):
        WEEK = "week", "Week (Monday to Sunday, local dates)"
        MONTH = "month", "Month"

    period = models.CharField(max_length=5, choices=Period.choices)
    period_start = models.DateField()
    grouping = models.CharField(max_length=60, blank=True)
    agency = models.ForeignKey("organisations.Agency", on_delete=models.CASCADE, related_name="+")
    trust = models.ForeignKey(
        "organisations.Trust", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ward = models.ForeignKey(
        "organisations.Ward", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    role = models.ForeignKey(
        "organisations.Role", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    band = models.PositiveSmallIntegerField(null=True, blank=True)
    setting = models.ForeignKey(
        "organisations.Setting", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    is_night = models.BooleanField(null=True, blank=True)

    time_to_fill_median = models.FloatField(null=True, blank=True, help_text="Seconds (percentile_cont)")
    time_to_fill_p90 = models.FloatField(null=True, blank=True, help_text="Seconds (percentile_cont)")
    lead_time_median = models.FloatField(null=True, blank=True, help_text="Seconds (percentile_cont)")
    lead_time_p90 = models.FloatField(null=True, blank=True, help_text="Seconds (percentile_cont)")
    distinct_staff = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["grouping", "period", "period_start"], name="period_summary_lookup"),
            models.Index(fields=["trust", "period", "period_start"], name="period_summary_trust"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.period} {self.period_start} [{self.grouping}]: {self.slots_filled}/{self.slots_requested}"
        )
