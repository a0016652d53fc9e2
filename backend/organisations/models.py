"""Agencies, trusts, sites and wards, plus the shared taxonomy (roles, bands, settings, credential
types and the setting presets that say which credentials a setting requires). Taxonomy codes are the
canonical ids the matching engine uses (matching/engine/taxonomy.py)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from backend.core.models import BaseModel

BAND_MIN, BAND_MAX = 2, 9


class Role(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    registration_body = models.CharField(max_length=10, blank=True, help_text="NMC, GMC, HCPC, SWE or blank")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Band(models.Model):
    """Agenda for Change bands 2-9; medical grades map onto the same scale for band policy."""

    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=BAND_MIN, number__lte=BAND_MAX), name="band_number_in_range"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Setting(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CredentialType(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=160)
    validity_months = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Competence(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SettingRequirement(models.Model):
    """A setting preset: working in `setting` needs a valid `credential_type` (optionally only for
    one role). A trust may add its own through TrustRequirement."""

    setting = models.ForeignKey(Setting, on_delete=models.CASCADE, related_name="requirements")
    credential_type = models.ForeignKey(CredentialType, on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey(Role, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["setting", "credential_type", "role"],
                name="setting_requirement_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.setting} needs {self.credential_type}"


class Agency(BaseModel):
    name = models.CharField(max_length=160, unique=True)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Trust(BaseModel):
    class BandPolicy(models.TextChoices):
        EXACT = "exact", "Exact band only"
        UP = "up", "Book the band or above"
        UP_ONE = "up_one", "Book the band or one above"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="trusts")
    name = models.CharField(max_length=160, unique=True)
    ods_code = models.CharField("ODS code", max_length=10, unique=True)
    band_policy = models.CharField(max_length=10, choices=BandPolicy.choices, default=BandPolicy.UP)
    # Per-trust weights for the matching score terms; missing keys use the engine's defaults.
    score_weights = models.JSONField(default=dict, blank=True)
    escalate_hours_before = models.PositiveSmallIntegerField(default=12)
    # Overrides of the offer cascade's defaults (jobs/services/cascade.py CascadePolicy).
    cascade_settings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrustRequirement(models.Model):
    """A trust's extra credential rule on top of the setting presets (all its wards when setting is null)."""

    trust = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="extra_requirements")
    setting = models.ForeignKey(Setting, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    credential_type = models.ForeignKey(CredentialType, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trust", "setting", "credential_type"],
                name="trust_requirement_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.trust}: {self.credential_type}"


class Site(BaseModel):
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=160)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])

    class Meta:
        ordering = ["trust__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["trust", "name"], name="site_name_unique_per_trust"),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="site_coordinates_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.trust})"


class Ward(BaseModel):
    class Gender(models.TextChoices):
        MALE = "male", "Male"
        FEMALE = "female", "Female"
        MIXED = "mixed", "Mixed"

    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="wards")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="wards")
    name = models.CharField(max_length=160)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names used in e-rosters")
    setting = models.ForeignKey(Setting, on_delete=models.PROTECT, related_name="wards")
    gender = models.CharField(max_length=10, choices=Gender.choices, default=Gender.MIXED)
    beds = models.PositiveSmallIntegerField(default=18)
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    needs = models.JSONField(default=list, blank=True, help_text="Current needs tags, e.g. high_acuity")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["trust__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["trust", "name"], name="ward_name_unique_per_trust"),
            # The target of jobs' composite key: a shortfall's ward belongs to the shortfall's trust.
            models.UniqueConstraint(fields=["id", "trust"], name="ward_id_trust_unique"),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="ward_coordinates_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name
