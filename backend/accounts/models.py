from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class User(AbstractUser):
    """One login for every kind of user. Trust staff belong to one trust (and optionally only some
    of its wards); agency staff to one agency; a practitioner has a Practitioner profile."""

    class Kind(models.TextChoices):
        PRACTITIONER = "practitioner", "Practitioner"
        TRUST_STAFF = "trust_staff", "Trust staff"
        AGENCY_STAFF = "agency_staff", "Agency staff"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    trust = models.ForeignKey(
        "organisations.Trust", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    wards = models.ManyToManyField(
        "organisations.Ward",
        blank=True,
        related_name="staff",
        help_text="Trust staff limited to these wards; empty means every ward of the trust.",
    )
    agency = models.ForeignKey(
        "organisations.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    is_agency_admin = models.BooleanField(default=False, help_text="May read the audit trail.")
    phone = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="trust_staff") | Q(trust__isnull=False), name="trust_staff_has_trust"
            ),
            models.CheckConstraint(
                condition=~Q(kind="agency_staff") | Q(agency__isnull=False), name="agency_staff_has_agency"
            ),
        ]

    @property
    def is_practitioner(self) -> bool:
        return self.kind == self.Kind.PRACTITIONER

    @property
    def is_trust_staff(self) -> bool:
        return self.kind == self.Kind.TRUST_STAFF

    @property
    def is_agency_staff(self) -> bool:
        return self.kind == self.Kind.AGENCY_STAFF
