"""Rate limits held together by the web processes of one PostgreSQL database
(fedishare.http.shared_limits): what two processes let through over time is what one bucket
lets through, give or take one exchange's worth of requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedishare.core.rate_limit import RateLimiter
from fedishare.http.shared_limits import exchange
from fedishare.storage.database import open_database
from tests.databases import backend, fresh_database

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="SQLite's one web process keeps its limits in memory"
)

LIMIT = 60  # a minute's requests, refilled one a second
SECONDS = 30
PER_SECOND = 10  # requests each process sees each second


async def _admitted(url: str, *, shared: bool) -> int:
    """Two processes (two connection pools, two limiters) each asked PER_SECOND times a
    second for SECONDS seconds, exchanging once a second when shared."""
    t = [1_000.0]
    limiters = [RateLimiter(LIMIT, clock=lambda: t[0], period=60.0) for _ in range(2)]
    if shared:
        for limiter in limiters:
            limiter.share()
    admitted = 0
    async with open_database(url) as one, open_database(url) as two:
        for _ in range(SECONDS):
            for limiter in limiters:
                admitted += sum(not limiter.allow("203.0.113.9") for _ in range(PER_SECOND))
            t[0] += 1.0
            for db, limiter in zip((one, two), limiters, strict=True):
                await exchange(db, {"address": limiter}, now=lambda: t[0])
    return admitted


async def test_two_processes_together_let_through_what_one_bucket_does(tmp_path: Path) -> None:
    # Full at first, then a token a second (the last second's is not asked for).
    one_bucket = LIMIT + (SECONDS - 1) * LIMIT // 60
    apart = await _admitted(fresh_database(tmp_path, "apart"), shared=False)
    together = await _admitted(fresh_database(tmp_path, "together"), shared=True)
    assert apart == 2 * one_bucket  # each process on its own: twice the limit
    # At most one second's requests of each process past what one bucket allows.
    assert one_bucket <= together <= one_bucket + 2 * PER_SECOND
