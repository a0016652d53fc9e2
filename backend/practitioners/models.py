"""Practitioners and everything that decides whether and how well they fit a shift: registration,
credentials, competences, availability, preferences and the continuity ledger (WardExperience)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from backend.core.models import BaseModel
from backend.organisations.models import BAND_MAX, BAND_MIN

EVIDENCE_EXTENSIONS = ["pdf", "png", "jpg", "jpeg"]


class Practitioner(BaseModel):
    class Status(models.TextChoices):
        ONBOARDING = "onboarding", "Onboarding"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        INACTIVE = "inactive", "Inactive"

    class Gender(models.TextChoices):
        MALE = "male", "Male"
        FEMALE = "female", "Female"
        OTHER = "other", "Other / prefer not to say"

    class RegistrationBody(models.TextChoices):
        NONE = "", "None"
        NMC = "NMC", "Nursing and Midwifery Council"
        GMC = "GMC", "General Medical Council"
        HCPC = "HCPC", "Health and Care Professions Council"
        SWE = "SWE", "Social Work England"

    class ShiftPreference(models.TextChoices):
        ANY = "any", "Any"
        DAYS = "days", "Days"
        NIGHTS = "nights", "Nights"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practitioner"
    )
    agency = models.ForeignKey("organisations.Agency", on_delete=models.PROTECT, related_name="practitioners")
    role = models.ForeignKey("organisations.Role", on_delete=models.PROTECT, related_name="practitioners")
    band = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(BAND_MIN), MaxValueValidator(BAND_MAX)]
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ONBOARDING)
    gender = models.CharField(max_length=10, choices=Gender.choices)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    registration_body = models.CharField(max_length=4, choices=RegistrationBody.choices, blank=True)
    registration_number = models.CharField(max_length=20, blank=True)
    registration_expires_on = models.DateField(null=True, blank=True)
    home_postcode = models.CharField(max_length=10, blank=True)
    home_latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    home_longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    travel_radius_km = models.PositiveSmallIntegerField(default=30, validators=[MaxValueValidator(500)])
    languages = models.JSONField(default=list, blank=True)
    competences = models.ManyToManyField("organisations.Competence", blank=True, related_name="+")
    settings_experience = models.ManyToManyField("organisations.Setting", blank=True, related_name="+")
    hourly_rate = models.DecimalField(max_digits=7, decimal_places=2)
    opted_out_of_weekly_cap = models.BooleanField(
        default=False, help_text="Signed the Working Time Regulations 48-hour opt-out."
    )
    # Preferences: used by scoring, never as hard rules.
    preferred_settings = models.ManyToManyField("organisations.Setting", blank=True, related_name="+")
    shift_preference = models.CharField(
        max_length=10, choices=ShiftPreference.choices, default=ShiftPreference.ANY
    )
    min_notice_hours = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(band__gte=BAND_MIN, band__lte=BAND_MAX), name="practitioner_band_in_range"
            ),
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="practitioner_rate_not_negative"),
            models.UniqueConstraint(
                fields=["registration_body", "registration_number"],
                condition=~Q(registration_number=""),
                name="practitioner_registration_unique",
            ),
        ]
        indexes = [models.Index(fields=["role", "status", "band"])]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.username

    @property
    def name(self) -> str:
        return str(self)


class Credential(BaseModel):
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="credentials")
    credential_type = models.ForeignKey(
        "organisations.CredentialType", on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(max_length=60, blank=True, help_text="Certificate or DBS number")
    issued_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True, help_text="Blank means it does not expire")
    evidence = models.FileField(
        upload_to="credentials/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["practitioner_id", "credential_type__name", "-expires_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=F("issued_on")),
                name="credential_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True, verified_by__isnull=True)
                | Q(verified_at__isnull=False, verified_by__isnull=False),
                name="credential_verified_by_and_at_together",
            ),
        ]
        indexes = [models.Index(fields=["credential_type", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.credential_type} ({self.practitioner_id})"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class Availability(BaseModel):
    class Kind(models.TextChoices):
        AVAILABLE = "available", "Available"
        UNAVAILABLE = "unavailable", "Unavailable"

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="availability")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.AVAILABLE)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "availability"
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="availability_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["practitioner", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.practitioner_id} {self.kind} {self.starts_at:%Y-%m-%d %H:%M}"


class WardExperience(BaseModel):
    """The continuity ledger: how often and how recently a practitioner worked a ward."""

    class Source(models.TextChoices):
        BOOKING = "booking", "Completed booking"
        IMPORT = "import", "Imported placement history"

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="ward_experience")
    ward = models.ForeignKey("organisations.Ward", on_delete=models.CASCADE, related_name="experience")
    shifts_worked = models.PositiveIntegerField(default=0)
    first_worked_at = models.DateTimeField()
    last_worked_at = models.DateTimeField()
    last_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.BOOKING)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "ward"], name="ward_experience_unique"),
            models.CheckConstraint(
                condition=Q(last_worked_at__gte=F("first_worked_at")), name="ward_experience_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(last_rating__isnull=True) | Q(last_rating__gte=1, last_rating__lte=5),
                name="ward_experience_rating_range",
            ),
        ]
        indexes = [models.Index(fields=["ward", "last_worked_at"])]

    def __str__(self) -> str:
        return f"{self.practitioner_id} on {self.ward_id}: {self.shifts_worked}"


class PractitionerListing(BaseModel):
    """A trust's preferred or do-not-book entry for a practitioner (whole trust, or one ward).
    Do-not-book entries carry a reason and a review date; they lapse at `expires_at`."""

    class Kind(models.TextChoices):
        PREFERRED = "preferred", "Preferred"
        DO_NOT_BOOK = "do_not_book", "Do not book"

    trust = models.ForeignKey("organisations.Trust", on_delete=models.CASCADE, related_name="listings")
    ward = models.ForeignKey(
        "organisations.Ward", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="listings")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    review_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trust", "ward", "practitioner", "kind"], name="listing_unique", nulls_distinct=False
            ),
            models.CheckConstraint(
                condition=~Q(kind="do_not_book") | ~Q(reason=""), name="do_not_book_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.practitioner_id} at {self.trust_id}"


class PlacementImport(BaseModel):
    """One uploaded file of a practitioner's past placements (history from before our books).
    Idempotent by content: the same file for the same practitioner is imported once."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="placement_imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=200, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_for_review = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner", "file_sha256"], name="placement_import_once_per_file"
            )
        ]

    def __str__(self) -> str:
        return f"Placement import {self.id} for {self.practitioner_id}"


class PlacementReviewItem(BaseModel):
    """A row whose trust or ward name did not resolve confidently: kept for a person to decide,
    never guessed."""

    class Status(models.TextChoices):
        OPEN = "open", "Needs review"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"

    placement_import = models.ForeignKey(
        PlacementImport, on_delete=models.CASCADE, related_name="review_items"
    )
    row_number = models.PositiveIntegerField()
    trust_text = models.CharField(max_length=200)
    ward_text = models.CharField(max_length=200)
    shifts = models.PositiveIntegerField()
    first_worked_on = models.DateField()
    last_worked_on = models.DateField()
    suggestions = models.JSONField(default=list, blank=True)
    problem = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["placement_import_id", "row_number"]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.ward_text} ({self.status})"
