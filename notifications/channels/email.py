"""Email through Django's mail backend (SMTP in production), plain text with an HTML alternative."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from notifications.channels.base import PermanentDeliveryError, TransientDeliveryError
from notifications.models import Delivery
from notifications.rendering import render_email


def _classify(exc: Exception) -> Exception:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            return PermanentDeliveryError(f"recipient refused: {exc.recipients}")
        return TransientDeliveryError(f"recipient deferred: {exc.recipients}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # Our credentials, not the recipient: retry while someone fixes the configuration.
        return TransientDeliveryError(f"SMTP authentication failed: {exc.smtp_code}")
    if isinstance(exc, smtplib.SMTPResponseException):
        error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        return PermanentDeliveryError(error) if exc.smtp_code >= 500 else TransientDeliveryError(error)
    # Connection refused, timeouts, disconnects: the server may be back soon.
    return TransientDeliveryError(f"{exc.__class__.__name__}: {exc}")


class EmailChannel:
    def send(self, delivery: Delivery) -> str:
        notification = delivery.notification
        address = notification.recipient.email
        if not address:
            raise PermanentDeliveryError("recipient has no email address")
        rendered = render_email(notification)
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
        message_id = make_msgid(idstring=f"delivery-{delivery.id}", domain=domain)
        connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"Message-ID": message_id},
            connection=connection,
        )
        message.attach_alternative(rendered.html, "text/html")
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            raise _classify(exc) from exc
        return message_id
