"""A token bucket per key (a peer's host, a client's address, an API token): bursts up to
the limit, refilled evenly over the period.

A limiter that is `share`d also counts what it takes per key, for an exchange with the other
processes of the instance (fedishare.http.shared_limits): `usage` hands over what was
taken since the last exchange, `settle` takes in what all processes left."""

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
        # Tokens taken per key since the last `usage`, once shared (None: not counted).
        self._used: dict[str, float] | None = None
        self.capacity = float(limit)
        self.rate = limit / period
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> float:
        """Take one token for `key`: 0.0 if allowed, else the seconds until one is free."""
        return self._take(key)[0]

    def peek(self, key: str) -> float:
        """What `allow` would answer, taking nothing: 0.0 if `key` has a token, else the
        seconds until one is free. For a request to be charged only once it proved who sent
        it (`charge`), so that others cannot empty that sender's bucket."""
        found = self._buckets.get(key)
        if found is None:
            return 0.0
        tokens, last = found
        tokens = min(self.capacity, tokens + (self.clock() - last) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def charge(self, key: str) -> None:
        """Take one token for a request `peek` let in. Requests let in together are all
        charged, so the bucket may go below empty: the next ones then wait that much longer."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        self._buckets[key] = (tokens - 1.0, now)
        if self._used is not None:
            self._used[key] = self._used.get(key, 0.0) + 1.0
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)

    def take(self, key: str) -> Taken:
        """Take one token for `key` if there is one; a refused request takes nothing."""
        wait, tokens = self._take(key)
        return Taken(wait, int(tokens), (self.capacity - tokens) / self.rate)

    def _take(self, key: str) -> tuple[float, float]:
        """(the wait, 0.0 if allowed; the tokens left)."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
            if self._used is not None:
                self._used[key] = self._used.get(key, 0.0) + 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        # Forget the least recently seen keys, so many hosts or addresses cannot grow this
        # without bound.
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait, tokens

    def share(self) -> None:
        """Count what is taken per key from now on, for `usage`."""
        if self._used is None:
            self._used = {}

    def usage(self) -> dict[str, float]:
        """The tokens taken per key since the last call (a shared limiter's; else none)."""
        if not self._used:
            return {}
        used, self._used = self._used, {}
        return used

    def keep_usage(self, used: dict[str, float]) -> None:
        """Count again what `usage` handed over for an exchange that failed."""
        if self._used is not None:
            for key, tokens in used.items():
                self._used[key] = self._used.get(key, 0.0) + tokens

    def settle(self, left: dict[str, float]) -> None:
        """Take the tokens all processes left per key (as of the exchange that answered
        `usage`), less what this process took since."""
        now = self.clock()
        for key, tokens in left.items():
            since = self._used.get(key, 0.0) if self._used is not None else 0.0
            self._buckets[key] = (min(self.capacity, tokens) - since, now)
            self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
