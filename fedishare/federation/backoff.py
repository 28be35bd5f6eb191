"""When to try a delivery again, and how long to leave a failing host alone.

Pure functions of the attempt (or failure) count, so the whole schedule is testable without
a clock. A delivery is retried 30 s after its first attempt, the wait doubling each time up to
12 hours; after the 15th attempt (about 53 hours after the first) it is given up, as Mastodon
gives up one after its retries of about two days.

A host whose attempts keep failing is paused: after HOST_FAILURES_BEFORE_PAUSE failures in a
row, for 30 s doubling up to 6 hours, and then probed with one delivery at a time. Its failure
count, since when it has been failing, until when it is paused and the last error are kept
(`delivery_hosts`) and shown on the admins' domains page. Where Mastodon stops delivering to a
host that has failed for a week until it hears from it again, a host here is still probed every
6 hours with whatever is queued for it (each delivery given up after its 53 hours), so it is
found again on its own when it comes back.
"""

from __future__ import annotations

FIRST_DELAY = 30.0
MAX_DELAY = 12 * 3600.0
MAX_ATTEMPTS = 15
# A 401 may mean the receiver could not fetch our key yet (a race with our own actor
# document); a few quick retries cover that without pestering a server that means it.
MAX_UNAUTHORIZED_ATTEMPTS = 3

# Consecutive failed attempts (5xx, timeouts, refused connections) before a host is paused.
HOST_FAILURES_BEFORE_PAUSE = 5
FIRST_HOST_PAUSE = 30.0
MAX_HOST_PAUSE = 6 * 3600.0


def retry_delay(attempts: int, *, max_attempts: int = MAX_ATTEMPTS) -> float | None:
    """Seconds to wait after the `attempts`-th failed attempt, or None to give up."""
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    if attempts >= max_attempts:
        return None
    return min(MAX_DELAY, FIRST_DELAY * 2.0 ** (attempts - 1))


def host_pause(failures: int) -> float:
    """Seconds to stop sending to a host after `failures` consecutive failures (0: don't)."""
    if failures < HOST_FAILURES_BEFORE_PAUSE:
        return 0.0
    return min(MAX_HOST_PAUSE, FIRST_HOST_PAUSE * 2.0 ** (failures - HOST_FAILURES_BEFORE_PAUSE))


def schedule(max_attempts: int = MAX_ATTEMPTS) -> list[float]:
    """Every wait between attempts, in order: the whole retry plan at a glance."""
    return [min(MAX_DELAY, FIRST_DELAY * 2.0 ** (n - 1)) for n in range(1, max_attempts)]
