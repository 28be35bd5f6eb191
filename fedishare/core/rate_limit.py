"""A token bucket per key (a peer's host, a client's address, an API token): bursts up to
the limit, refilled evenly over the period."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Taken:
    """One request's share of a bucket, for the answer's X-RateLimit headers."""

    wait: float  # 0.0 if allowed, else the seconds until a token is free
    remaining: int  # whole tokens left after this request
    full_in: float  # seconds until the bucket is full again (the limit renewed)


class RateLimiter:
    def __init__(
        self,
        limit: int,
        *,
        clock: Callable[[], float],
        period: float = 60.0,
        max_keys: int = 10_000,
    ) -> None:
        self.limit = limit
        self.capacity = float(limit)
        self.rate = limit / period
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> float:
        """Take one token for `key`: 0.0 if allowed, else the seconds until one is free."""
        return self.take(key).wait

    def take(self, key: str) -> Taken:
        """Take one token for `key` if there is one; a refused request takes nothing."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        # Forget the least recently seen keys, so many hosts or addresses cannot grow this
        # without bound.
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return Taken(wait, int(tokens), (self.capacity - tokens) / self.rate)
