"""Trust webhooks: signed POSTs to a real local HTTP server; disabled after repeated failures."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications.models import Delivery, Notification, TrustWebhookEndpoint
from notifications.services import deliver, notify_trust_webhook
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def trust_system():
    received = []
    state = {"status": 200}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"headers": dict(self.headers), "body": body})
            self.send_response(state["status"])
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}/hooks", "received": received, "state": state}
    httpd.shutdown()
    httpd.server_close()


def test_webhook_body_is_signed_with_hmac_sha256_over_timestamp_and_body(trust_system):
    trust = f.TrustFactory()
    endpoint = TrustWebhookEndpoint.objects.create(trust=trust, url=trust_system["url"], secret="s3cret")
    message = notify_trust_webhook(
        trust=trust, event="shortfall.filled", payload={"shortfall_id": 7}, dedupe_key="filled:7"
    )
    delivery = message.deliveries.get()

    assert deliver(delivery_id=delivery.id).status == "sent"

    [request] = trust_system["received"]
    headers, body = request["headers"], request["body"]
    timestamp = headers["X-Staffing-Timestamp"]
    expected = hmac.new(b"s3cret", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-Staffing-Signature"] == f"sha256={expected}"
    assert headers["X-Staffing-Event"] == "shortfall.filled"
    assert json.loads(body) == {
        "id": message.id,
        "event": "shortfall.filled",
        "trust": trust.id,
        "data": {"shortfall_id": 7},
    }
    assert delivery.endpoint == endpoint


def test_an_endpoint_is_disabled_after_n_permanent_failures_and_agency_staff_are_told(trust_system, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    trust_system["state"]["status"] = 410
    trust = f.TrustFactory()
    staff = f.AgencyUserFactory(agency=trust.agency)
    endpoint = TrustWebhookEndpoint.objects.create(trust=trust, url=trust_system["url"], secret="s3cret")

    for n in range(2):
        message = notify_trust_webhook(
            trust=trust, event="booking.cancelled", payload={}, dedupe_key=f"c:{n}"
        )
        assert deliver(delivery_id=message.deliveries.get().id).status == "failed"

    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.consecutive_failures == 2
    assert endpoint.disabled_reason == "HTTP 410: "
    alert = Notification.objects.get(kind="webhook_endpoint_disabled")
    assert alert.recipient == staff
    assert alert.payload["endpoint_id"] == endpoint.id
    # A disabled endpoint gets no new deliveries.
    later = notify_trust_webhook(trust=trust, event="booking.cancelled", payload={}, dedupe_key="c:later")
    assert later.deliveries.count() == 0
    assert Delivery.objects.filter(channel="webhook").count() == 2


def test_a_5xx_from_the_trust_system_is_retried(trust_system):
    trust_system["state"]["status"] = 503
    trust = f.TrustFactory()
    TrustWebhookEndpoint.objects.create(trust=trust, url=trust_system["url"], secret="s3cret")
    message = notify_trust_webhook(trust=trust, event="shortfall.filled", payload={}, dedupe_key="f:1")

    outcome = deliver(delivery_id=message.deliveries.get().id)

    assert outcome.status == "retry"
    assert message.deliveries.get().status == "queued"
