"""Faults under steady traffic (issue 8): while a trust posts shortfalls and practitioners accept
and cancel through the API, Redis is stopped and restarted, a worker is SIGKILLed and replaced, and
PostgreSQL restarts. Afterwards the SQL invariants hold, every acknowledged write is there, and
every notification that went out went out once.

Real processes throughout: a throwaway redis-server (append-only file, fsync always), Celery worker
subprocesses, a loopback SMTP server and the throwaway PostgreSQL cluster of scripts/test_faults.sh.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from backend.celery import app
from backend.core import outbox
from backend.core.models import OutboxMessage
from jobs.models import Booking, Offer, Shortfall
from notifications.models import Delivery, Notification
from tests import factories as f
from tests.integration.test_worker_faults import (  # noqa: F401  (fixtures)
    ThrowawayRedis,
    broker,
    start_worker,
    wait_for,
)
from tests.jobs.invariants import HEALTHY, violations
from tests.notifications.conftest import SmtpServer, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRAFFIC_SECONDS = 36
SETTLE_SECONDS = 120
RECOVERY_TICKS = 10


@pytest.fixture
def throwaway_redis(tmp_path):
    server = ThrowawayRedis(binary=shutil.which("redis-server"), directory=tmp_path, durable=True)
    server.start()
    yield server
    server.stop()


def restart_postgres() -> None:
    command = [
        os.path.join(os.environ["FAULTS_PG_BIN"], "pg_ctl"),
        *("-D", os.environ["FAULTS_PGDATA"], "-l", os.environ["FAULTS_PG_LOG"]),
        *("-m", "fast", "-w", "-t", "60", "restart"),
    ]
    if os.geteuid() == 0:
        command = ["runuser", "-u", os.environ["FAULTS_PG_USER"], "--", *command]
    subprocess.run(command, check=True, cwd="/", capture_output=True, timeout=90)


def api(user) -> APIClient:
    client = APIClient(raise_request_exception=False)  # a failure is a 500 answer, as in production
    client.force_authenticate(user)
    return client


class Traffic:
    """Posting, accepting and cancelling in a loop; records what the API acknowledged."""

    def __init__(self, *, poster, ward, nurses):
        self.poster, self.ward, self.nurses = poster, ward, nurses
        self.posted: list[int] = []
        self.booked: list[int] = []
        self.cancelled: list[int] = []
        self.answers: Counter = Counter()
        self.stop = threading.Event()
        self.base = (timezone.now() + dt.timedelta(days=2)).replace(hour=7, minute=0, second=0, microsecond=0)

    def run(self) -> None:
        try:
            day = 0
            while not self.stop.is_set():
                self._post(day)
                day += 1
                for nurse in self.nurses:
                    self._accept(nurse)
                if self.booked and day % 4 == 0:
                    self._cancel(self.booked[0])
                time.sleep(0.2)
        finally:
            connection.close()

    def _post(self, day: int) -> None:
        starts = self.base + dt.timedelta(days=day)
        body = {
            "ward": self.ward.id,
            "role": "rmn",
            "min_band": 5,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + dt.timedelta(hours=8)).isoformat(),
        }
        response = api(self.poster).post(
            "/api/v1/shortfalls/", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
        )
        self.answers[("post", response.status_code)] += 1
        if response.status_code == 201:
            self.posted.append(response.json()["id"])

    def _accept(self, nurse) -> None:
        listing = api(nurse.user).get("/api/v1/offers/", {"status": "sent"})
        if listing.status_code != 200 or not listing.json()["results"]:
            return
        offer_id = listing.json()["results"][0]["id"]
        response = api(nurse.user).post(f"/api/v1/offers/{offer_id}/accept/")
        self.answers[("accept", response.status_code)] += 1
        if response.status_code == 201:
            self.booked.append(response.json()["id"])

    def _cancel(self, booking_id: int) -> None:
        booking = Booking.objects.select_related("practitioner__user").get(id=booking_id)
        response = api(booking.practitioner.user).post(
            f"/api/v1/bookings/{booking_id}/cancel/", {"reason": "fault-suite traffic"}, format="json"
        )
        self.answers[("cancel", response.status_code)] += 1
        if response.status_code == 200:
            self.booked.remove(booking_id)
            self.cancelled.append(booking_id)


def beat_tick() -> None:
    """What the beat schedule does, sooner: relay the outbox and publish the sweeps."""
    try:
        outbox.relay_stragglers(older_than=dt.timedelta(0))
        for task, queue in [
            ("jobs.advance_cascades", "offers"),
            ("jobs.expire_offers", "offers"),
            ("jobs.resend_unnotified_offers", "notifications"),
            ("notifications.sweep_stuck_deliveries", "notifications"),
        ]:
            app.send_task(task, queue=queue)
    except Exception:  # Redis or PostgreSQL down at this tick: the next tick tries again
        connection.close()


def test_invariants_and_exactly_once_delivery_survive_redis_worker_and_postgres_restarts(
    throwaway_redis,
    start_worker,  # noqa: F811  (the fixture imported above)
):
    smtp = SmtpServer(port=free_port())
    smtp.start()
    try:
        worker = start_worker(smtp_port=smtp.port)
        agency_user = f.AgencyUserFactory()
        trust = f.TrustFactory(agency=agency_user.agency)
        ward = f.WardFactory(site=f.SiteFactory(trust=trust), name="Willow Ward")
        poster = f.TrustUserFactory(trust=trust)
        nurses = [f.qualified_practitioner(agency_user.agency) for _ in range(4)]
        for nurse in nurses:
            f.WardExperienceFactory(practitioner=nurse, ward=ward, shifts_worked=5)

        traffic = Traffic(poster=poster, ward=ward, nurses=nurses)
        thread = threading.Thread(target=traffic.run)
        thread.start()
        faults = {
            6: throwaway_redis.stop,
            10: throwaway_redis.start,
            16: lambda: worker.kill(signal.SIGKILL),
            17: lambda: start_worker(smtp_port=smtp.port),
            24: restart_postgres,
        }
        started = time.monotonic()
        done: set[int] = set()
        while time.monotonic() - started < TRAFFIC_SECONDS:
            for at, fault in faults.items():
                if at not in done and time.monotonic() - started >= at:
                    fault()
                    done.add(at)
            beat_tick()
            time.sleep(1)
        traffic.stop.set()
        thread.join(timeout=60)
        connection.close()  # this thread's connection died with the PostgreSQL restart

        for _ in range(RECOVERY_TICKS):  # beat keeps ticking after the faults
            beat_tick()
            time.sleep(2)

        def settled() -> bool:  # no more sweeps: only what is already in flight
            outbox.relay_stragglers(older_than=dt.timedelta(0))
            return (
                not OutboxMessage.objects.filter(published_at__isnull=True).exists()
                and throwaway_redis.is_broker_drained()
                and not Delivery.objects.filter(status__in=["queued", "sending"]).exists()
            )

        deadline = time.monotonic() + SETTLE_SECONDS
        while not settled() and time.monotonic() < deadline:
            time.sleep(1)
        state = {
            "unpublished outbox": list(
                OutboxMessage.objects.filter(published_at__isnull=True).values_list("task", "attempts")
            ),
            "broker": {q: throwaway_redis.client(1).llen(q) for q in ("celery", "offers", "notifications")},
            "unacked": throwaway_redis.client(1).hlen("unacked"),
            "deliveries": Counter(Delivery.objects.values_list("channel", "status")),
            "due": list(
                Delivery.objects.filter(status__in=["queued", "sending"]).values_list(
                    "channel", "status", "attempts", "next_attempt_at", "last_error"
                )
            ),
        }
        assert settled(), f"not settled after {SETTLE_SECONDS} s: {state}"
    finally:
        smtp.stop()

    assert len(done) == len(faults)
    # The faults met the traffic: writes made while Redis was down waited in the outbox and were
    # relayed later, and the first worker died of the SIGKILL.
    assert OutboxMessage.objects.filter(attempts__gt=1).exists()
    assert worker.process.returncode == -signal.SIGKILL
    print(f"traffic answers: {dict(sorted(traffic.answers.items()))}")
    assert traffic.answers[("post", 201)] > 0 and traffic.answers[("accept", 201)] > 0, traffic.answers
    assert violations() == HEALTHY
    assert set(Shortfall.objects.filter(id__in=traffic.posted).values_list("id", flat=True)) == set(
        traffic.posted
    )
    assert set(
        Booking.objects.filter(id__in=traffic.booked, status="confirmed").values_list("id", flat=True)
    ) == set(traffic.booked)
    assert set(
        Booking.objects.filter(id__in=traffic.cancelled)
        .exclude(status="confirmed")
        .values_list("id", flat=True)
    ) == set(traffic.cancelled)
    # One offer message per send of an offer, none lost. An offer is sent again when its slot
    # reopens (a booking cancelled: withdrawn offers revived) or its lapsed hold is re-offered, each
    # time with a new sent_at; the message's dedupe key is offer:<id>:<sent_at>. So: every offer
    # still open has exactly one message for its current send, and no message names a send time
    # other than one the offer had (checked for the current one; earlier ones were overwritten).
    offer_keys = Counter(
        Notification.objects.filter(kind=Notification.Kind.OFFER).values_list("dedupe_key", flat=True)
    )
    assert offer_keys and all(key.startswith("offer:") for key in offer_keys)
    open_offers = Offer.objects.filter(status__in=Offer.OPEN_STATUSES, sent_at__isnull=False)
    current = {
        f"offer:{offer_id}:{sent_at.isoformat()}"
        for offer_id, sent_at in open_offers.values_list("id", "sent_at")
    }
    assert [key for key in current if offer_keys[key] != 1] == []
    print(f"offer messages: {len(offer_keys)} for {len(current)} offers still open")
    emails = Delivery.objects.filter(channel=Delivery.Channel.EMAIL)
    per_notification = Counter(emails.values_list("notification_id", flat=True))
    assert [n for n, count in per_notification.items() if count != 1] == []
    assert set(emails.values_list("status", flat=True)) == {"sent"}  # none failed, none left behind
    assert len(smtp.messages) == emails.filter(status="sent").count()
