from __future__ import annotations

from rest_framework import serializers

from backend.organisations.models import Trust
from notifications.models import Delivery, Notification, TrustWebhookEndpoint
from notifications.services import DIGESTIBLE_KINDS, USER_CHANNELS


class InboxNotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "payload", "is_urgent", "is_read", "read_at", "created_at"]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class NotificationPreferenceSerializer(serializers.Serializer):
    channels = serializers.DictField(
        child=serializers.ListField(child=serializers.ChoiceField(choices=[c.value for c in USER_CHANNELS])),
        required=False,
        default=dict,
        help_text="Channels per kind (email, sms); a kind left out uses the defaults. In-app is always on.",
    )
    quiet_hours_start = serializers.TimeField(required=False, default="22:00")
    quiet_hours_end = serializers.TimeField(required=False, default="07:00")
    digest_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(DIGESTIBLE_KINDS)), required=False, default=list
    )

    def validate_channels(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(Notification.Kind.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown kinds: {', '.join(unknown)}.")
        return {kind: sorted(set(channels)) for kind, channels in value.items()}

    def validate_digest_kinds(self, value: list) -> list:
        return sorted(set(value))


class CalendarFeedSerializer(serializers.Serializer):
    is_active = serializers.BooleanField()
    url = serializers.CharField(
        allow_null=True, help_text="Secret iCalendar URL; anyone with it can read it."
    )
    created_at = serializers.DateTimeField(allow_null=True)


class DeliveryTraceSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="notification.kind", default=None, allow_null=True)
    recipient = serializers.IntegerField(source="notification.recipient_id", default=None, allow_null=True)
    event = serializers.CharField(source="webhook_message.event", default=None, allow_null=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "notification",
            "kind",
            "recipient",
            "webhook_message",
            "event",
            "endpoint",
            "channel",
            "status",
            "attempts",
            "provider_message_id",
            "last_error",
            "created_at",
            "next_attempt_at",
            "sending_at",
            "sent_at",
            "failed_at",
        ]
        read_only_fields = fields


class WebhookEndpointSerializer(serializers.ModelSerializer):
    trust = serializers.PrimaryKeyRelatedField(queryset=Trust.objects.none())
    events = serializers.ListField(child=serializers.CharField(max_length=60), required=False, default=list)

    class Meta:
        model = TrustWebhookEndpoint
        fields = [
            "id",
            "trust",
            "url",
            "events",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = ["id", "consecutive_failures", "disabled_at", "disabled_reason", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_agency_staff", False):
            self.fields["trust"].queryset = Trust.objects.filter(agency_id=user.agency_id)
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["trust"].read_only = True


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The signing secret is shown once, in the response to create."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
