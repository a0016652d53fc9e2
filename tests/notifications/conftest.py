"""Real local servers for the channels: an SMTP server (aiosmtpd) and an HTTP server speaking the
GOV.UK Notify API shape, both on 127.0.0.1 random ports."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    inbox: _Inbox = field(default_factory=_Inbox)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list:
        return self.inbox.messages


@pytest.fixture
def smtp_port(settings) -> int:
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    return port


@pytest.fixture
def smtp_server(smtp_port):
    """A stopped server object on the configured port: call start() (SMTP 'down' until then)."""
    server = SmtpServer(port=smtp_port)
    yield server
    server.stop()


@pytest.fixture
def running_smtp(smtp_server):
    smtp_server.start()
    return smtp_server


SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
# A Notify key is "<key name>-<service id uuid>-<secret uuid>"; the client splits it by position.
FAKE_NOTIFY_KEY = f"staffing_test-{SERVICE_ID}-{SECRET}"


@dataclass
class NotifyServer:
    url: str
    requests: list = field(default_factory=list)
    # The status codes to answer, in order; the last one repeats.
    statuses: list = field(default_factory=lambda: [201])
    delay: float = 0.0


class _NotifyHandler(BaseHTTPRequestHandler):
    server_state: NotifyServer

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        state = self.server.state
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"])
            authorised = claims.get("iss") == SERVICE_ID
        except jwt.PyJWTError:
            authorised = False
        state.requests.append({"path": self.path, "body": body, "authorised": authorised})
        if state.delay:
            time.sleep(state.delay)
        status = state.statuses[min(len(state.requests) - 1, len(state.statuses) - 1)]
        if not authorised:
            status = 403
        if self.path != "/v2/notifications/sms":
            status = 404
        if status == 201:
            reply = {
                "id": "740e5834-3a29-46b4-9a6f-16142fde533a",
                "reference": body.get("reference"),
                "content": {"body": body.get("personalisation", {}).get("body"), "from_number": "GOVUK"},
                "uri": f"{state.url}/v2/notifications/740e5834-3a29-46b4-9a6f-16142fde533a",
                "template": {"id": body.get("template_id"), "version": 1, "uri": ""},
            }
        else:
            reply = {
                "status_code": status,
                "errors": [{"error": "BadRequestError", "message": f"status {status}"}],
            }
        payload = json.dumps(reply).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass


@pytest.fixture
def notify_server(settings):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _NotifyHandler)
    httpd.daemon_threads = True
    state = NotifyServer(url=f"http://127.0.0.1:{httpd.server_port}")
    httpd.state = state
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    settings.NOTIFY_API_BASE_URL = state.url
    settings.NOTIFY_API_KEY = FAKE_NOTIFY_KEY
    settings.NOTIFY_SMS_TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
    settings.NOTIFY_HTTP_TIMEOUT = 1
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    """Offer rate-limit counters live in Redis for an hour; user ids repeat between test runs."""

    def clear():
        client = getattr(cache, "_cache", None)
        if client is not None and hasattr(client, "get_client"):
            redis = client.get_client(write=True)
            for key in redis.scan_iter(match="*notify:rate:*"):
                redis.delete(key)
        else:
            cache.clear()

    clear()
    yield
    clear()
