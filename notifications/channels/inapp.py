"""The in-app inbox: the Notification row is the message, so there is nothing to transmit."""

from __future__ import annotations

from notifications.models import Delivery


class InAppChannel:
    def send(self, delivery: Delivery) -> str:
        return f"notification:{delivery.notification_id}"
