"""Issue 4's fault claims, proven with real processes: a throwaway redis-server, a real Celery
worker subprocess on the test database, and a loopback SMTP server. Nothing is mocked.

The worker runs without beat (no -B): where a beat sweep matters, the test publishes that sweep's
task itself, exactly as beat would on its next tick, so the run stays short and deterministic.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from backend.celery import app
from backend.core import outbox
from backend.core.models import OutboxMessage
from jobs.models import Offer
from notifications.models import Delivery, Notification
from tests import factories as f
from tests.jobs.conftest import qualified, shift
from tests.notifications.conftest import SmtpServer, free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

QUEUES = ("celery", "offers", "notifications", "analytics")
WAIT_SECONDS = 60
# Production presumes a `sending` delivery lost after 120 s. The worker here uses 10 s to keep the
# run short; the setting only has to exceed the delivery task's 8 s time limit, and 10 s does.
STUCK_AFTER_SECONDS = 10


def wait_for(condition, *, what: str, timeout: float = WAIT_SECONDS, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:]) if log and log.exists() else ""
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n--- worker log tail ---\n{tail}")


def is_port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- a throwaway Redis -----------------------------------------------------------------------------


@dataclass
class ThrowawayRedis:
    """A redis-server of our own on a random port; never the shared one on 6379."""

    binary: str
    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    # As production runs it (append-only file, fsync always): what a publisher was told is stored
    # survives a restart. Off: a restart loses whatever was inside.
    durable: bool = False

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--dir", str(self.directory)),
                *(
                    ("--appendonly", "yes", "--appendfsync", "always")
                    if self.durable
                    else ("--appendonly", "no")
                ),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, what=f"redis-server on port {self.port}", timeout=10)

    def stop(self) -> None:
        """SIGTERM and wait until nothing listens on the port any more."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None
        wait_for(lambda: not is_port_open(self.port), what=f"port {self.port} to close", timeout=10)

    def client(self, db: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=2)

    def _answers(self) -> bool:
        try:
            return bool(self.client(0).ping())
        except redis.RedisError:
            return False

    def is_broker_drained(self) -> bool:
        """No task waiting in any queue and none delivered but unacknowledged (in flight)."""
        broker = self.client(1)
        return all(broker.llen(queue) == 0 for queue in QUEUES) and broker.hlen("unacked") == 0


@pytest.fixture
def throwaway_redis(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not on PATH: these tests need it (`make test` installs it).")
    server = ThrowawayRedis(binary=binary, directory=tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(throwaway_redis):
    """Point this process's Celery app at the throwaway Redis. kombu reads the CELERY_BROKER_URL
    environment variable before app.conf, so both change; the cached connection and producer
    pools are dropped so the next publish connects to the new URL. The shared pool of the usual
    test broker is left open (closing it would break later tests in this process)."""
    url = throwaway_redis.url(1)
    saved_env, saved_conf = os.environ.get("CELERY_BROKER_URL"), app.conf.broker_url
    os.environ["CELERY_BROKER_URL"] = url
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
    assert (app.pool.connection.hostname, app.pool.connection.port) == ("127.0.0.1", throwaway_redis.port)
    yield throwaway_redis
    app.pool.force_close_all()
    if saved_env is None:
        os.environ.pop("CELERY_BROKER_URL", None)
    else:
        os.environ["CELERY_BROKER_URL"] = saved_env
    app.conf.broker_url = saved_conf
    app._pool = None
    app.amqp._producer_pool = None


# --- a real worker ---------------------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def results(self, task: str) -> list[str]:
        """Return values logged for each finished run of `task`, in order."""
        return re.findall(rf"Task {re.escape(task)}\[[^\]]+\] succeeded in [\d.]+s: (.*)", self.text())

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=10)


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    netloc = f"{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{netloc}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def start_worker(transactional_db, broker, tmp_path):
    """Start Celery worker subprocesses on the test database, the throwaway broker and the SMTP
    port given; every one is killed at teardown (before the database is flushed)."""
    workers: list[Worker] = []

    def start(*, smtp_port: int) -> Worker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend.settings_test",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker.url(1),
            "REDIS_URL": broker.url(0),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "false",
            "NOTIFY_STUCK_AFTER_SECONDS": str(STUCK_AFTER_SECONDS),
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        log = tmp_path / f"worker-{len(workers) + 1}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    *("-m", "celery", "-A", "backend", "worker", "-Q", ",".join(QUEUES)),
                    *("--pool", "solo", "--concurrency", "1"),
                    *("--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "INFO"),
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process=process, log=log)
        workers.append(worker)
        wait_for(
            lambda: " ready." in worker.text() or process.poll() is not None,
            what="the worker to be ready",
            log=log,
        )
        assert process.poll() is None, f"worker exited early:\n{worker.text()[-3000:]}"
        return worker

    yield start
    for worker in workers:
        worker.kill()


# --- claim 1: Redis down at post time --------------------------------------------------------------


def _emails() -> list[Delivery]:
    return list(Delivery.objects.filter(channel=Delivery.Channel.EMAIL).order_by("id"))


def test_shortfall_posted_while_redis_is_down_is_201_and_its_offers_go_out_once_redis_is_back(
    throwaway_redis, start_worker, client_for
):
    """Redis stopped while a shortfall is posted: the API still answers 201 (the cascade's task
    waits in the outbox), and once Redis is back the relay publishes it and every offer reaches
    its recipient exactly once: 0 lost, 0 duplicated, even with a later beat tick repeating the
    cascade sweep. (Redis runs without persistence here, so this proves the outbox carries what
    was posted while Redis was down; messages already inside Redis when it stops are only as safe
    as Redis's own persistence.)"""
    smtp = SmtpServer(port=free_port())
    smtp.start()
    try:
        worker = start_worker(smtp_port=smtp.port)
        agency_user = f.AgencyUserFactory()
        trust = f.TrustFactory(agency=agency_user.agency)
        ward = f.WardFactory(site=f.SiteFactory(trust=trust), name="Willow Ward")
        poster = f.TrustUserFactory(trust=trust)
        nurses = [qualified(agency_user.agency) for _ in range(3)]
        for nurse in nurses:  # familiar with the ward: wave 0 holds go to all three at once
            f.WardExperienceFactory(practitioner=nurse, ward=ward, shifts_worked=6)
        start = (timezone.now() + dt.timedelta(days=5)).replace(hour=7, minute=30, second=0, microsecond=0)
        body = {
            "ward": ward.id,
            "role": "rmn",
            "min_band": 5,
            "headcount": 3,
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=12, minutes=30)).isoformat(),
        }

        throwaway_redis.stop()
        response = client_for(poster).post("/api/v1/shortfalls/", body, format="json")
        held_back = list(OutboxMessage.objects.values_list("task", "published_at", "attempts"))
        offers_while_down = Offer.objects.count()

        throwaway_redis.start()
        relayed = outbox.relay_stragglers(older_than=dt.timedelta(0))  # what the beat sweep does
        wait_for(
            lambda: (
                len(smtp.messages) == 3
                and [d.status for d in _emails()] == ["sent"] * 3
                and not OutboxMessage.objects.filter(published_at__isnull=True).exists()
                and throwaway_redis.is_broker_drained()
            ),
            what="three offer emails delivered and the broker drained",
            log=worker.log,
        )
        # The next beat ticks after recovery: the cascade sweep and the outbox relay run again.
        app.send_task("jobs.advance_cascades", queue="offers")
        relayed_again = outbox.relay_stragglers(older_than=dt.timedelta(0))
        wait_for(
            lambda: len(worker.results("jobs.advance_cascades")) == 2 and throwaway_redis.is_broker_drained(),
            what="the repeated cascade sweep to finish",
            log=worker.log,
        )
    finally:
        smtp.stop()

    assert response.status_code == 201
    # Both messages of the post (the cascade and the fill-rate rollup) failed to publish once; rows kept.
    assert sorted(held_back) == [("analytics.refresh_day", None, 1), ("jobs.advance_cascades", None, 1)]
    assert offers_while_down == 0
    assert (relayed, relayed_again) == (2, 0)
    assert worker.results("jobs.advance_cascades") == ["1", "0"]  # the repeat found nothing due
    shortfall_id = response.json()["id"]
    assert {
        o.practitioner_id: (o.wave, o.is_exclusive_hold, o.status)
        for o in Offer.objects.filter(shortfall_id=shortfall_id)
    } == {nurse.id: (0, True, "sent") for nurse in nurses}
    assert sorted(tuple(m.rcpt_tos) for m in smtp.messages) == sorted((n.user.email,) for n in nurses)
    assert Counter(Notification.objects.filter(kind="offer").values_list("recipient_id", flat=True)) == {
        n.user_id: 1 for n in nurses
    }
    assert [(d.status, d.attempts, d.last_error) for d in _emails()] == [("sent", 1, "")] * 3
    assert Counter(OutboxMessage.objects.values_list("task", flat=True)) == {
        "analytics.refresh_day": 1,
        "jobs.advance_cascades": 1,
        "jobs.notify_offer": 3,
        "notifications.deliver": 3,
    }
    assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()


# --- claim 2: a worker killed mid-send --------------------------------------------------------------


class _StallsOnFirstMessage:
    """An SMTP handler that holds the first message without answering (the worker is killed
    meanwhile; aiosmtpd then cancels this handler) and would refuse it with a 451 if the client
    were still there: the server never accepts that copy. Every later message is accepted."""

    stall_seconds = 8.0

    def __init__(self) -> None:
        self.messages: list = []
        self.held: list = []
        self.stalled = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.stalled.is_set():
            self.held.append(envelope)
            self.stalled.set()
            await asyncio.sleep(self.stall_seconds)
            return "451 4.3.0 Not accepted"
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def test_offer_email_is_delivered_exactly_once_after_the_worker_is_killed_mid_send(broker, start_worker):
    """A worker SIGKILLed while it is sending an offer email (delivery `sending`, message handed
    to the SMTP server but not yet accepted): after a new worker starts, the email arrives exactly
    once.

    How: the killed `notifications.deliver` message is acknowledged late, so the broker restores
    it once the visibility timeout has passed (the new worker does that at start-up), but its
    re-run is "skipped": the claim is a conditional UPDATE from `queued`, and the row is still
    `sending`. What sends it is the stuck-delivery sweep (a beat task, published here by the
    test): a row `sending` for longer than NOTIFY_STUCK_AFTER_SECONDS goes back to `queued` and is
    enqueued again, and that claim succeeds once.

    What is guaranteed is at-least-once with exactly-once for this window: had the SMTP server
    already accepted the message (250) when the worker died, the row would still be `sending`, the
    sweep would send it again, and the recipient would get it twice."""
    inbox = _StallsOnFirstMessage()
    smtp = SmtpServer(port=free_port(), inbox=inbox)
    smtp.start()
    try:
        first = start_worker(smtp_port=smtp.port)
        nurse = qualified(f.AgencyFactory())
        ward = f.WardFactory(site=f.SiteFactory(trust=f.TrustFactory(agency=nurse.agency)))
        offer = f.OfferFactory(shortfall=shift(ward, in_hours=48), practitioner=nurse)
        with transaction.atomic():  # the production path: an outbox row published on commit
            outbox.enqueue(
                "jobs.notify_offer",
                queue="notifications",
                offer_id=offer.id,
                sent_at=timezone.now().isoformat(),
            )

        def is_mid_send() -> bool:
            email = Delivery.objects.filter(channel=Delivery.Channel.EMAIL).first()
            return inbox.stalled.is_set() and email is not None and email.status == Delivery.Status.SENDING

        wait_for(is_mid_send, what="the email delivery to be mid-send", log=first.log)
        first.kill(signal.SIGKILL)
        killed = Delivery.objects.get(channel=Delivery.Channel.EMAIL)

        # Past the broker's visibility timeout (10 s) and the stuck threshold, both counted from
        # before the kill: the new worker restores the killed message as it starts.
        wait_for(
            lambda: timezone.now() - killed.sending_at > dt.timedelta(seconds=STUCK_AFTER_SECONDS + 0.5),
            what="the delivery to count as stuck",
            timeout=STUCK_AFTER_SECONDS + 5,
        )
        second = start_worker(smtp_port=smtp.port)
        app.send_task("notifications.sweep_stuck_deliveries", queue="notifications")  # a beat tick
        wait_for(
            lambda: len(second.results("notifications.deliver")) == 2 and broker.is_broker_drained(),
            what="the restored and the re-enqueued deliver tasks to finish",
            log=second.log,
        )
    finally:
        smtp.stop()

    assert (killed.status, killed.attempts) == ("sending", 1)
    assert first.process.returncode == -signal.SIGKILL
    assert sorted(second.results("notifications.deliver")) == ["'sent'", "'skipped'"]
    assert [tuple(m.rcpt_tos) for m in inbox.messages] == [(nurse.user.email,)]
    assert [tuple(m.rcpt_tos) for m in inbox.held] == [(nurse.user.email,)]  # handed over, never accepted
    delivered = Delivery.objects.get(channel=Delivery.Channel.EMAIL)
    assert (delivered.status, delivered.attempts, delivered.last_error) == ("sent", 2, "")
    assert Notification.objects.filter(recipient=nurse.user, kind="offer").count() == 1
