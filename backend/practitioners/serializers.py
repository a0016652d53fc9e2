from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework import serializers

from backend.organisations.models import Competence, CredentialType, Role, Setting
from backend.practitioners.models import Availability, Credential, Practitioner

_PROFILE_FIELDS = [
    "role",
    "band",
    "status",
    "gender",
    "date_of_birth",
    "phone",
    "registration_body",
    "registration_number",
    "registration_expires_on",
    "home_postcode",
    "home_latitude",
    "home_longitude",
    "travel_radius_km",
    "languages",
    "competences",
    "settings_experience",
    "hourly_rate",
    "opted_out_of_weekly_cap",
    "preferred_settings",
    "shift_preference",
    "min_notice_hours",
]


def _codes(model):
    return serializers.SlugRelatedField(
        slug_field="code", queryset=model.objects.all(), many=True, required=False
    )


class PractitionerSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", max_length=150)
    first_name = serializers.CharField(source="user.first_name", max_length=150)
    last_name = serializers.CharField(source="user.last_name", max_length=150)
    email = serializers.EmailField(source="user.email")
    role = serializers.SlugRelatedField(slug_field="code", queryset=Role.objects.all())
    competences = _codes(Competence)
    settings_experience = _codes(Setting)
    preferred_settings = _codes(Setting)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=20
    )

    class Meta:
        model = Practitioner
        fields = ["id", "username", "first_name", "last_name", "email", *_PROFILE_FIELDS]

    def validate(self, attrs):
        body = attrs.get("registration_body", getattr(self.instance, "registration_body", ""))
        number = attrs.get("registration_number", getattr(self.instance, "registration_number", ""))
        if bool(body) != bool(number):
            raise serializers.ValidationError(
                {"registration_number": "Give both the registration body and number, or neither."}
            )
        return attrs

    def validate_username(self, value):
        if self.instance is not None and value != self.instance.user.username:
            raise serializers.ValidationError("The username cannot be changed.")
        return value


class MeSerializer(PractitionerSerializer):
    """What a practitioner may change about themselves; grade, status and pay are agency decisions."""

    class Meta(PractitionerSerializer.Meta):
        read_only_fields = [
            "username",
            "role",
            "band",
            "status",
            "registration_body",
            "registration_number",
            "registration_expires_on",
            "hourly_rate",
        ]


MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
_EVIDENCE_SIGNATURES = {b"%PDF": "pdf", b"\x89PNG": "png", b"\xff\xd8\xff": "jpg"}


class CredentialSerializer(serializers.ModelSerializer):
    credential_type = serializers.SlugRelatedField(slug_field="code", queryset=CredentialType.objects.all())
    is_verified = serializers.BooleanField(read_only=True)
    verified_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)  # null until verified

    class Meta:
        model = Credential
        fields = [
            "id",
            "practitioner",
            "credential_type",
            "reference",
            "issued_on",
            "expires_on",
            "evidence",
            "is_verified",
            "verified_by",
            "verified_at",
        ]
        read_only_fields = ["practitioner", "verified_at"]

    def validate_evidence(self, upload):
        if upload is None:
            return upload
        if upload.size > MAX_EVIDENCE_BYTES:
            raise serializers.ValidationError("Evidence files must be 5 MB or smaller.")
        head = upload.read(8)
        upload.seek(0)
        # The extension is checked by the model field; the content must match a real PDF or image.
        if not any(head.startswith(signature) for signature in _EVIDENCE_SIGNATURES):
            raise serializers.ValidationError("Evidence must be a PDF, PNG or JPEG file.")
        return upload

    def validate(self, attrs):
        issued, expires = attrs.get("issued_on"), attrs.get("expires_on")
        if issued and expires and expires < issued:
            raise serializers.ValidationError({"expires_on": "Expiry must be on or after the issue date."})
        return attrs


MAX_AVAILABILITY = dt.timedelta(days=31)


class AvailabilitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Availability
        fields = ["id", "practitioner", "starts_at", "ends_at", "kind", "note"]
        read_only_fields = ["practitioner"]

    def validate(self, attrs):
        starts = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if starts and ends:
            # Bounded windows also keep every stored time renderable as RFC 3339: a year-199 time
            # in Europe/London has a seconds-precision local-mean-time offset (-00:01:15).
            if ends <= starts:
                raise serializers.ValidationError({"ends_at": "The end must be after the start."})
            if ends <= timezone.now():
                raise serializers.ValidationError({"ends_at": "The window must end in the future."})
            if ends - starts > MAX_AVAILABILITY:
                raise serializers.ValidationError(
                    {"ends_at": "A window can be 31 days at most: add another for longer."}
                )
        return attrs
