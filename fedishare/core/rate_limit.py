"""A token bucket per key (a peer's host): bursts up to the limit, refilled evenly."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self, per_minute: int, *, clock: Callable[[], float], max_keys: int = 10_000
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> float:
        """Take one token for `key`: 0.0 if allowed, else the seconds until one is free."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        # Forget the least recently seen peers, so many hosts cannot grow this without bound.
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait
