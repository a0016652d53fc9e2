"""SMS through GOV.UK Notify (official client). The Notify template is a single ((body)) field;
we render the words here so every kind reads the same in email and SMS."""

from __future__ import annotations

from django.conf import settings
from notifications_python_client import NotificationsAPIClient
from notifications_python_client.errors import APIError

from notifications.channels.base import PermanentDeliveryError, TransientDeliveryError
from notifications.models import Delivery
from notifications.rendering import render_sms

# Request timeouts and too-many-requests are worth retrying even though they are 4xx.
_RETRYABLE_4XX = {408, 429}


def phone_number_for(user) -> str:
    practitioner = getattr(user, "practitioner", None) if user.is_practitioner else None
    return user.phone or (practitioner.phone if practitioner is not None else "")


class SmsChannel:
    def send(self, delivery: Delivery) -> str:
        notification = delivery.notification
        phone = phone_number_for(notification.recipient)
        if not phone:
            raise PermanentDeliveryError("recipient has no phone number")
        if not settings.NOTIFY_API_KEY or not settings.NOTIFY_SMS_TEMPLATE_ID:
            raise PermanentDeliveryError("NOTIFY_API_KEY / NOTIFY_SMS_TEMPLATE_ID are not configured")
        client = NotificationsAPIClient(
            settings.NOTIFY_API_KEY,
            base_url=settings.NOTIFY_API_BASE_URL,
            timeout=settings.NOTIFY_HTTP_TIMEOUT,
        )
        try:
            response = client.send_sms_notification(
                phone_number=phone,
                template_id=settings.NOTIFY_SMS_TEMPLATE_ID,
                personalisation={"body": render_sms(notification)},
                reference=f"delivery-{delivery.id}",
            )
        except APIError as exc:
            # The client reports timeouts and refused connections as status 503 with no response.
            status = exc.status_code
            error = f"Notify {status}: {exc.message}"
            if 400 <= status < 500 and status not in _RETRYABLE_4XX:
                raise PermanentDeliveryError(error) from exc
            raise TransientDeliveryError(error) from exc
        return str((response or {}).get("id", ""))
