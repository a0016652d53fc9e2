"""Login lockout per username + client address, shared by the API token login and the web login.

Every attempt first takes a numbered slot with one atomic increment, and only slots 1..LIMIT of a
window get their password checked: 20 parallel guesses check at most LIMIT passwords. (Reading the
count, checking the password and then writing the count back lets every request of a burst read
the same low count and go through.) The window runs from the first attempt; a successful login
clears it. Unknown and known usernames are counted and refused alike, so the lockout reveals
nothing about which usernames exist.
"""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from backend.core import audit

LIMIT = 10
WINDOW_SECONDS = 15 * 60

# INCR and the window's expiry in one step: with Django's cache.incr (EXISTS, then INCR) a key
# that expires in between is recreated by INCR without a TTL, a lockout that never ends.
_INCR_WITH_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def _key(username: str, request) -> str:
    # audit.client_ip believes X-Forwarded-For only as far as trusted proxies wrote it, so rotating
    # the header cannot dodge the lockout. Hashed: no usernames in the cache as plain text.
    address = audit.client_ip(request) or ""
    digest = hashlib.sha256(f"{username.strip().lower()}|{address}".encode()).hexdigest()
    return f"login-attempts:{digest}"


def count_in_window(key: str, window_seconds: int) -> int:
    """Add one to the counter `key` and return its new value; the counter lives `window_seconds`
    from its first increment. Atomic: concurrent callers each get a different number."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full_key, write=True)  # the backend's own connection pool
        return int(client.eval(_INCR_WITH_WINDOW, 1, full_key, window_seconds))
    # Local memory (the demo without Redis): add and incr each hold the backend's lock.
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr: this call opens a new one
        cache.add(key, 0, timeout=window_seconds)
        return cache.incr(key)


def claim_attempt(*, username: str, request) -> bool:
    """Count one login attempt; True when its password may be checked, False when locked out."""
    return count_in_window(_key(username, request), WINDOW_SECONDS) <= LIMIT


def clear_attempts(*, username: str, request) -> None:
    """After a successful login the next mistake starts a fresh window."""
    caches["default"].delete(_key(username, request))


def record_failed_login(username: str, request, *, locked_out: bool) -> None:
    """Audit a refused login; `locked_out` marks the attempts refused without a password check."""
    audit.record(
        actor=None,
        action="login_failed",
        subject_type="user",
        subject_id=username[:60],
        request=request,
        detail={"locked_out": True} if locked_out else None,
    )
