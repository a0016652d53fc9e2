"""The API login's per-address rate limit, counted atomically.

DRF's SimpleRateThrottle reads a list of recent request times from the cache, checks its length
and writes it back: every request of a parallel burst reads the same short list and all get
through. This throttle counts fixed windows with one atomic increment (lockout.count_in_window),
so a burst gets exactly the rate's number of requests per window.
"""

from __future__ import annotations

import math
import time

from rest_framework.throttling import ScopedRateThrottle

from backend.accounts.lockout import count_in_window


class AtomicScopedRateThrottle(ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.retry_after = self.duration - (now % self.duration)
        return count_in_window(f"{key}:{window}", self.duration) <= self.num_requests

    def wait(self) -> float:
        return math.ceil(self.retry_after)  # whole seconds, at least 1: the client may retry then
