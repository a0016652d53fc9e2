"""Shortfalls (a trust's unfilled shifts), the offers sent for them, the bookings that fill them and
the feedback after. Invariants live in the database: see each Meta.constraints."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from backend.core.models import BaseModel
from backend.organisations.models import BAND_MAX, BAND_MIN
from jobs.constraints import PostgresExclusionConstraint, RangeBoundary, TsTzRange

ACTIVE_BOOKING_STATUSES = ("confirmed", "completed")


class Shortfall(BaseModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PARTIALLY_FILLED = "partially_filled", "Partially filled"
        FILLED = "filled", "Filled"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    class ShiftType(models.TextChoices):
        EARLY = "early", "Early"
        LATE = "late", "Late"
        LONG_DAY = "long_day", "Long day"
        NIGHT = "night", "Night"
        TWILIGHT = "twilight", "Twilight"

    class Gender(models.TextChoices):
        MALE = "male", "Male"
        FEMALE = "female", "Female"

    OPEN_STATUSES = (Status.OPEN, Status.PARTIALLY_FILLED)

    # trust is the ward's trust, denormalised so every tenant filter is one indexed column.
    trust = models.ForeignKey("organisations.Trust", on_delete=models.PROTECT, related_name="shortfalls")
    ward = models.ForeignKey("organisations.Ward", on_delete=models.PROTECT, related_name="shortfalls")
    role = models.ForeignKey("organisations.Role", on_delete=models.PROTECT, related_name="+")
    min_band = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(BAND_MIN), MaxValueValidator(BAND_MAX)]
    )
    headcount = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    shift_type = models.CharField(max_length=10, choices=ShiftType.choices)
    required_competences = models.ManyToManyField("organisations.Competence", blank=True, related_name="+")
    desired_competences = models.ManyToManyField("organisations.Competence", blank=True, related_name="+")
    gender_requirement = models.CharField(max_length=10, choices=Gender.choices, blank=True)
    hourly_rate = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    rate_cap = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    notes = models.TextField(blank=True)
    external_reference = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    filled_at = models.DateTimeField(null=True, blank=True)
    # Cascade state: the last wave sent (-1 = none yet) and when the next step is due (beat sweep).
    wave = models.SmallIntegerField(default=-1)
    next_wave_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Broadening by agency staff (radius in km added to each practitioner's own travel radius).
    extra_radius_km = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shortfall_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(headcount__gte=1), name="shortfall_headcount_positive"),
            models.CheckConstraint(
                condition=Q(min_band__gte=BAND_MIN, min_band__lte=BAND_MAX), name="shortfall_band_in_range"
            ),
            models.CheckConstraint(
                condition=Q(rate_cap__isnull=True)
                | Q(hourly_rate__isnull=True)
                | Q(hourly_rate__lte=F("rate_cap")),
                name="shortfall_rate_within_cap",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="shortfall_cancelled_has_time",
            ),
            models.UniqueConstraint(
                fields=["trust", "external_reference"],
                condition=~Q(external_reference=""),
                name="shortfall_external_reference_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["trust", "status", "starts_at"]),
            models.Index(fields=["ward", "starts_at"]),
            # The list's order: an agency's page walks it instead of sorting all 250,000 shortfalls.
            models.Index(fields=["starts_at", "id"], name="shortfall_list_order"),
            # A trust's list: its page walks this (a few of its wards: filtering by ward as it goes).
            models.Index(fields=["trust", "starts_at", "id"], name="shortfall_trust_list_order"),
            # Roles for you: the open shifts of the wards near a practitioner, soonest first.
            models.Index(
                fields=["ward", "starts_at"],
                condition=Q(status__in=["open", "partially_filled"]),
                name="shortfall_open_by_ward",
            ),
            models.Index(
                fields=["next_wave_at"], condition=Q(next_wave_at__isnull=False), name="shortfall_wave_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} on ward {self.ward_id} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class Offer(BaseModel):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        VIEWED = "viewed", "Viewed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN_STATUSES = (Status.QUEUED, Status.SENT, Status.VIEWED)

    shortfall = models.ForeignKey(Shortfall, on_delete=models.CASCADE, related_name="offers")
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.CASCADE, related_name="offers"
    )
    wave = models.PositiveSmallIntegerField(default=0)
    is_exclusive_hold = models.BooleanField(default=False)
    score = models.FloatField()
    explanation = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    sent_at = models.DateTimeField(null=True, blank=True)
    viewed_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    decline_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shortfall", "practitioner"], name="offer_unique_per_practitioner"
            ),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=1), name="offer_score_in_unit_range"),
            models.CheckConstraint(condition=Q(wave__lte=2), name="offer_wave_known"),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["practitioner", "status"]),
        ]

    def __str__(self) -> str:
        return f"Offer {self.id}: shortfall {self.shortfall_id} to {self.practitioner_id} ({self.status})"


class Booking(BaseModel):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED_BY_PRACTITIONER = "cancelled_by_practitioner", "Cancelled by practitioner"
        CANCELLED_BY_TRUST = "cancelled_by_trust", "Cancelled by trust"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"

    shortfall = models.ForeignKey(Shortfall, on_delete=models.PROTECT, related_name="bookings")
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="bookings"
    )
    offer = models.OneToOneField(
        Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="booking"
    )
    # Copied from the shortfall: an exclusion constraint can only see this table's columns.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.CONFIRMED)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    is_late_cancellation = models.BooleanField(
        default=False, help_text="Practitioner cancelled < 12 h before"
    )
    compensation_due = models.BooleanField(default=False, help_text="Trust cancelled < 4 h before")
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"),
            models.UniqueConstraint(
                fields=["shortfall", "practitioner"],
                condition=Q(status__in=ACTIVE_BOOKING_STATUSES),
                name="booking_one_active_per_practitioner_and_shortfall",
            ),
            PostgresExclusionConstraint(
                name="booking_no_overlap_per_practitioner",
                expressions=[
                    ("practitioner", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=ACTIVE_BOOKING_STATUSES),
            ),
        ]
        indexes = [
            models.Index(fields=["practitioner", "starts_at"]),
            models.Index(fields=["shortfall", "status"]),
        ]

    def __str__(self) -> str:
        return f"Booking {self.id}: {self.practitioner_id} on shortfall {self.shortfall_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_BOOKING_STATUSES


class TrustFeedback(BaseModel):
    """The trust rates a completed booking."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="trust_feedback")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    would_book_again = models.BooleanField(default=True)
    do_not_book = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="trust_feedback_rating_range"
            ),
            models.CheckConstraint(
                condition=~Q(do_not_book=True) | ~Q(reason=""), name="trust_feedback_dnb_reason"
            ),
        ]


class WardFeedback(BaseModel):
    """The practitioner rates the ward: staff need support too."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="ward_feedback")
    induction = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    supervision = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    felt_safe = models.BooleanField()
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(induction__gte=1, induction__lte=5, supervision__gte=1, supervision__lte=5),
                name="ward_feedback_scores_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Ward feedback for booking {self.booking_id}"
