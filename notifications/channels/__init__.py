"""Delivery channels behind one interface (base.Channel)."""

from __future__ import annotations

from notifications.channels.base import Channel, PermanentDeliveryError, TransientDeliveryError

__all__ = ["Channel", "PermanentDeliveryError", "TransientDeliveryError", "channel_for"]


def channel_for(name: str) -> Channel:
    from notifications.channels import email, inapp, sms, webhook

    channels: dict[str, Channel] = {
        "email": email.EmailChannel(),
        "sms": sms.SmsChannel(),
        "in_app": inapp.InAppChannel(),
        "webhook": webhook.WebhookChannel(),
    }
    return channels[name]
