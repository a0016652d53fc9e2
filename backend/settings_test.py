"""Test settings: production-shaped (DEBUG off) against real PostgreSQL and Redis.

`make test` exports DATABASE_URL / REDIS_URL of reachable servers (scripts/services.sh); these
defaults match the servers a developer machine usually runs.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/staffing")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
# Its own Redis database: a cache.clear() in a test must not eat queued tasks.
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1")

from backend.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in production
CELERY_TASK_ALWAYS_EAGER = False
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "1000/min"}}  # noqa: F405
