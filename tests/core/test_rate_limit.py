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


def test_says_what_remains_and_when_the_limit_is_whole_again() -> None:
    clock = Clock()
    limiter = RateLimiter(300, clock=clock, period=300.0)  # one token a second
    first = limiter.take("198.51.100.1")
    assert (first.wait, first.remaining, first.full_in) == (0.0, 299, 1.0)
    for _ in range(299):
        limiter.take("198.51.100.1")
    refused = limiter.take("198.51.100.1")
    assert refused.wait == 1.0 and refused.remaining == 0 and refused.full_in == 300.0
    clock.now += 300.0
    assert limiter.take("198.51.100.1").remaining == 299  # a refusal took nothing


def test_peeking_takes_nothing_and_charging_takes_after_the_fact() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)  # one token every 30 seconds
    assert all(limiter.peek("a.test") == 0.0 for _ in range(5))
    limiter.charge("a.test")
    limiter.charge("a.test")
    assert limiter.peek("a.test") == 30.0
    assert limiter.peek("b.test") == 0.0
    # Requests let in together are all charged: the bucket goes below empty.
    limiter.charge("a.test")
    assert limiter.peek("a.test") == 60.0
    clock.now += 60.0
    assert limiter.peek("a.test") == 0.0
    assert limiter.allow("a.test") == 0.0
