from __future__ import annotations

from rest_framework import serializers

from backend.organisations.models import Competence, Role, Ward
from backend.organisations.selectors import wards_for
from jobs.models import Booking, Shortfall


class ShortfallSerializer(serializers.ModelSerializer):
    role = serializers.SlugRelatedField(slug_field="code", read_only=True)
    trust = serializers.PrimaryKeyRelatedField(read_only=True)
    required_competences = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    desired_competences = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    booked_count = serializers.IntegerField(read_only=True, default=0)
    # Declared so the schema matches what is stored: read-only model fields lose allow_blank, and no
    # gender requirement is "" (BlankEnum in the schema).
    shift_type = serializers.ChoiceField(choices=Shortfall.ShiftType.choices, read_only=True)
    gender_requirement = serializers.ChoiceField(
        choices=Shortfall.Gender.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Shortfall
        fields = [
            "id",
            "trust",
            "ward",
            "role",
            "min_band",
            "headcount",
            "booked_count",
            "starts_at",
            "ends_at",
            "shift_type",
            "required_competences",
            "desired_competences",
            "gender_requirement",
            "hourly_rate",
            "rate_cap",
            "notes",
            "external_reference",
            "status",
            "posted_at",
            "cancelled_at",
            "cancel_reason",
            "filled_at",
        ]
        read_only_fields = fields


_datetime = serializers.DateTimeField()
_money = serializers.DecimalField(max_digits=7, decimal_places=2)


def shortfall_list_json(row: dict) -> dict:
    """What ShortfallSerializer writes, from a ``selectors.shortfall_rows`` row, without the
    per-field machinery (a page of 50 cost ~10 ms through the serializer; a test keeps them equal)."""

    def when(value):
        return None if value is None else _datetime.to_representation(value)

    def money(value):
        return None if value is None else _money.to_representation(value)

    return {
        "id": row["id"],
        "trust": row["trust_id"],
        "ward": row["ward_id"],
        "role": row["role__code"],
        "min_band": row["min_band"],
        "headcount": row["headcount"],
        "booked_count": row["booked_count"],
        "starts_at": when(row["starts_at"]),
        "ends_at": when(row["ends_at"]),
        "shift_type": row["shift_type"],
        "required_competences": row["required_competences"],
        "desired_competences": row["desired_competences"],
        "gender_requirement": row["gender_requirement"],
        "hourly_rate": money(row["hourly_rate"]),
        "rate_cap": money(row["rate_cap"]),
        "notes": row["notes"],
        "external_reference": row["external_reference"],
        "status": row["status"],
        "posted_at": when(row["posted_at"]),
        "cancelled_at": when(row["cancelled_at"]),
        "cancel_reason": row["cancel_reason"],
        "filled_at": when(row["filled_at"]),
    }


class ShortfallCreateSerializer(serializers.Serializer):
    ward = serializers.PrimaryKeyRelatedField(queryset=Ward.objects.none())
    role = serializers.SlugRelatedField(slug_field="code", queryset=Role.objects.all())
    min_band = serializers.IntegerField(min_value=2, max_value=9)
    headcount = serializers.IntegerField(min_value=1, max_value=50, default=1)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    # Blank (the default) derives the shift type from the times.
    shift_type = serializers.ChoiceField(
        choices=Shortfall.ShiftType.choices, required=False, allow_blank=True, default=""
    )
    required_competences = serializers.SlugRelatedField(
        slug_field="code", queryset=Competence.objects.all(), many=True, required=False, default=list
    )
    desired_competences = serializers.SlugRelatedField(
        slug_field="code", queryset=Competence.objects.all(), many=True, required=False, default=list
    )
    gender_requirement = serializers.ChoiceField(
        choices=Shortfall.Gender.choices, required=False, allow_blank=True, default=""
    )
    hourly_rate = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    rate_cap = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    external_reference = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # A ward the caller cannot see is "does not exist", the same answer as a made-up id.
            fields["ward"].queryset = wards_for(request.user).filter(is_active=True)
        return fields

    def validate(self, attrs):
        if attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": "The shift must end after it starts."})
        if (attrs["ends_at"] - attrs["starts_at"]).total_seconds() > 16 * 3600:
            raise serializers.ValidationError({"ends_at": "A shift cannot be longer than 16 hours."})
        rate, cap = attrs.get("hourly_rate"), attrs.get("rate_cap")
        if rate is not None and cap is not None and rate > cap:
            raise serializers.ValidationError({"hourly_rate": "The rate is above the cap."})
        return attrs


class ShortfallCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class BookingSerializer(serializers.ModelSerializer):
    ward = serializers.CharField(source="shortfall.ward.name", read_only=True)
    trust = serializers.CharField(source="shortfall.trust.name", read_only=True)
    practitioner_name = serializers.CharField(source="practitioner.name", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "shortfall",
            "ward",
            "trust",
            "practitioner",
            "practitioner_name",
            "starts_at",
            "ends_at",
            "status",
            "cancelled_at",
            "cancel_reason",
            "is_late_cancellation",
            "compensation_due",
            "completed_at",
            "created_at",
        ]
        read_only_fields = fields


class BookingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class BookingNoShowSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why the booking is a no-show (audited).")


class TrustFeedbackSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    would_book_again = serializers.BooleanField(default=True)
    do_not_book = serializers.BooleanField(default=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["do_not_book"] and not attrs["reason"].strip():
            raise serializers.ValidationError(
                {"reason": "Say why the practitioner should not be booked again."}
            )
        return attrs


class WardFeedbackInputSerializer(serializers.Serializer):
    induction = serializers.IntegerField(min_value=1, max_value=5)
    supervision = serializers.IntegerField(min_value=1, max_value=5)
    felt_safe = serializers.BooleanField()
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class BroadenSerializer(serializers.Serializer):
    extra_radius_km = serializers.IntegerField(min_value=0, max_value=100, required=False)
    min_band = serializers.IntegerField(min_value=2, max_value=9, required=False)
    rate_cap = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0, required=False)
