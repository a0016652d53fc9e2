"""Writes of practitioner data. Every write of personal data is audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.core import audit
from backend.core.errors import Conflict, ValidationFailed
from backend.practitioners.models import Availability, Credential, Practitioner

_M2M = {"competences", "settings_experience", "preferred_settings"}


@transaction.atomic
def create_practitioner(
    *, actor: User, user_fields: dict, profile_fields: dict, request=None
) -> Practitioner:
    many_to_many = {k: profile_fields.pop(k) for k in list(profile_fields) if k in _M2M}
    if User.objects.filter(username__iexact=user_fields["username"]).exists():
        raise ValidationFailed(extra={"fields": {"username": ["This username is taken."]}})
    user = User(kind=User.Kind.PRACTITIONER, **user_fields)
    user.set_unusable_password()
    user.save()
    practitioner = Practitioner.objects.create(user=user, agency_id=actor.agency_id, **profile_fields)
    for name, values in many_to_many.items():
        getattr(practitioner, name).set(values)
    audit.record(
        actor=actor,
        action="create",
        subject_type="practitioner",
        subject_id=practitioner.id,
        practitioner_id=practitioner.id,
        request=request,
    )
    return practitioner


@transaction.atomic
def update_practitioner(
    *, actor: User, practitioner: Practitioner, fields: dict, request=None
) -> Practitioner:
    practitioner = Practitioner.objects.select_for_update().get(id=practitioner.id)
    user_changes = {k: fields.pop(k) for k in list(fields) if k in {"first_name", "last_name", "email"}}
    many_to_many = {k: fields.pop(k) for k in list(fields) if k in _M2M}
    for name, value in fields.items():
        setattr(practitioner, name, value)
    practitioner.save()
    if user_changes:
        User.objects.filter(id=practitioner.user_id).update(**user_changes)
    for name, values in many_to_many.items():
        getattr(practitioner, name).set(values)
    changed = sorted([*fields, *user_changes, *many_to_many])
    audit.record(
        actor=actor,
        action="update",
        subject_type="practitioner",
        subject_id=practitioner.id,
        practitioner_id=practitioner.id,
        request=request,
        detail={"fields": changed},
    )
    practitioner.refresh_from_db()
    return practitioner


@transaction.atomic
def add_credential(*, actor: User, practitioner: Practitioner, fields: dict, request=None) -> Credential:
    credential = Credential.objects.create(practitioner=practitioner, **fields)
    audit.record(
        actor=actor,
        action="create",
        subject_type="credential",
        subject_id=credential.id,
        practitioner_id=practitioner.id,
        request=request,
        detail={"credential_type": credential.credential_type.code},
    )
    return credential


class CredentialAlreadyVerified(Conflict):
    code = "credential_already_verified"
    default_message = "This credential has already been verified."


@transaction.atomic
def verify_credential(*, actor: User, credential: Credential, request=None) -> Credential:
    # Conditional UPDATE: two agency staff verifying at once record one verifier.
    updated = Credential.objects.filter(id=credential.id, verified_at__isnull=True).update(
        verified_by=actor, verified_at=timezone.now()
    )
    if not updated:
        raise CredentialAlreadyVerified(extra={"credential_id": credential.id})
    audit.record(
        actor=actor,
        action="verify",
        subject_type="credential",
        subject_id=credential.id,
        practitioner_id=credential.practitioner_id,
        request=request,
    )
    credential.refresh_from_db()
    return credential


@transaction.atomic
def add_availability(*, actor: User, practitioner: Practitioner, fields: dict, request=None) -> Availability:
    availability = Availability.objects.create(practitioner=practitioner, **fields)
    audit.record(
        actor=actor,
        action="create",
        subject_type="availability",
        subject_id=availability.id,
        practitioner_id=practitioner.id,
        request=request,
        detail={"kind": availability.kind},
    )
    return availability


@transaction.atomic
def remove_availability(*, actor: User, availability: Availability, request=None) -> None:
    audit.record(
        actor=actor,
        action="delete",
        subject_type="availability",
        subject_id=availability.id,
        practitioner_id=availability.practitioner_id,
        request=request,
    )
    availability.delete()
