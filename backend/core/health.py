"""/healthz says the process is up; /readyz says its database and broker answer."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # any driver error means not ready
        return False, exc.__class__.__name__


def _broker_ok() -> tuple[bool, str]:
    from backend.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:
        return False, exc.__class__.__name__


def readyz(request):
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    ready = db_ok and broker_ok
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {"database": db_detail, "broker": broker_detail},
        "broker": settings.CELERY_BROKER_URL.split("://")[0],
    }
    return JsonResponse(body, status=200 if ready else 503)
