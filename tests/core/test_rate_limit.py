from __future__ import annotations

from fedishare.core.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_a_burst_up_to_the_limit_then_refills_evenly() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    assert all(limiter.allow("a.test") == 0.0 for _ in range(60))
    assert limiter.allow("a.test") == 1.0  # one token a second
    assert limiter.allow("b.test") == 0.0  # other hosts are not held up
    clock.now += 1.0
    assert limiter.allow("a.test") == 0.0
    assert limiter.allow("a.test") > 0.0


def test_forgets_the_least_recent_hosts_beyond_its_size() -> None:
    limiter = RateLimiter(1, clock=Clock(), max_keys=2)
    limiter.allow("a.test")
    limiter.allow("b.test")
    limiter.allow("c.test")
    assert limiter.allow("a.test") == 0.0  # a was forgotten, so it starts afresh
    assert limiter.allow("c.test") > 0.0
