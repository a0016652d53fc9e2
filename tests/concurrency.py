"""Running callables at the same instant, each on its own database connection (real threads
against PostgreSQL: a concurrency claim is tested, not reasoned about)."""

from __future__ import annotations

import threading

from django.db import close_old_connections, connection


def race(targets, *, timeout: float = 120) -> list:
    """Each callable in its own thread, all released together by a barrier; returns each result
    or the exception it raised, in order."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def run(index, target):
        close_old_connections()
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:  # collected and asserted on by the caller
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
