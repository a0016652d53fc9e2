"""Signed POSTs to trust systems.

Headers: X-Staffing-Event, X-Staffing-Delivery (id, for the receiver's own dedupe),
X-Staffing-Timestamp (unix seconds) and X-Staffing-Signature = "sha256=" + hex HMAC-SHA256 of
"<timestamp>.<body>" with the endpoint's secret. Receivers should reject stale timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from notifications.channels.base import PermanentDeliveryError, TransientDeliveryError
from notifications.models import Delivery

_RETRYABLE_4XX = {408, 425, 429}


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookChannel:
    def send(self, delivery: Delivery) -> str:
        endpoint = delivery.endpoint
        message = delivery.webhook_message
        if endpoint is None or not endpoint.is_active:
            raise PermanentDeliveryError("webhook endpoint is disabled or gone")
        body = json.dumps(
            {"id": message.id, "event": message.event, "trust": message.trust_id, "data": message.payload},
            cls=DjangoJSONEncoder,
            separators=(",", ":"),
        ).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "staffing-match-webhooks/1",
            "X-Staffing-Event": message.event,
            "X-Staffing-Delivery": str(delivery.id),
            "X-Staffing-Timestamp": str(timestamp),
            "X-Staffing-Signature": sign(secret=endpoint.secret, timestamp=timestamp, body=body),
        }
        try:
            response = requests.post(
                endpoint.url,
                data=body,
                headers=headers,
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise TransientDeliveryError(f"{exc.__class__.__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return response.headers.get("X-Request-Id", "")
        error = f"HTTP {status}: {response.text[:200]}"
        if 400 <= status < 500 and status not in _RETRYABLE_4XX or 300 <= status < 400:
            raise PermanentDeliveryError(error)
        raise TransientDeliveryError(error)
