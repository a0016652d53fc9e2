from __future__ import annotations

from rest_framework import serializers

from backend.organisations.models import Setting, Site, Trust, Ward
from backend.organisations.selectors import sites_for


class TrustSerializer(serializers.ModelSerializer):
    class Meta:
        model = Trust
        fields = ["id", "name", "ods_code", "band_policy", "escalate_hours_before", "score_weights"]

    def validate_score_weights(self, value):
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, int | float) and 0 <= v <= 10 for k, v in value.items()
        ):
            raise serializers.ValidationError("Weights must map term names to numbers between 0 and 10.")
        return value


class SiteSerializer(serializers.ModelSerializer):
    trust = serializers.PrimaryKeyRelatedField(queryset=Trust.objects.none())

    class Meta:
        model = Site
        fields = ["id", "trust", "name", "address", "postcode", "latitude", "longitude"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            from backend.organisations.selectors import trusts_for

            fields["trust"].queryset = trusts_for(request.user)
        return fields


def _string_list(value, *, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise serializers.ValidationError(f"{field} must be a list of non-empty strings.")
    return [v.strip() for v in value]


class WardSerializer(serializers.ModelSerializer):
    trust = serializers.PrimaryKeyRelatedField(read_only=True)
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.none())
    setting = serializers.SlugRelatedField(slug_field="code", queryset=Setting.objects.all())
    aliases = serializers.JSONField(required=False, default=list)
    needs = serializers.JSONField(required=False, default=list)

    class Meta:
        model = Ward
        fields = [
            "id",
            "trust",
            "site",
            "name",
            "aliases",
            "setting",
            "gender",
            "beds",
            "latitude",
            "longitude",
            "needs",
            "is_active",
        ]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["site"].queryset = sites_for(request.user)
        return fields

    def validate_aliases(self, value):
        return _string_list(value, field="aliases")

    def validate_needs(self, value):
        return _string_list(value, field="needs")

    def validate(self, attrs):
        site = attrs.get("site") or (self.instance.site if self.instance else None)
        if self.instance is not None and site is not None and site.trust_id != self.instance.trust_id:
            raise serializers.ValidationError({"site": "A ward cannot move to another trust's site."})
        name = attrs.get("name", self.instance.name if self.instance else None)
        if site is not None and name:
            clash = Ward.objects.filter(trust_id=site.trust_id, name__iexact=name)
            if self.instance is not None:
                clash = clash.exclude(id=self.instance.id)
            if clash.exists():
                raise serializers.ValidationError({"name": "This trust already has a ward with this name."})
        return attrs

    def create(self, validated_data):
        validated_data["trust"] = validated_data["site"].trust
        return super().create(validated_data)
