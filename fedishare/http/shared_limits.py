"""The rate limits of several web processes on one PostgreSQL database, held together.

Every SYNC_SECONDS, each shared limiter hands over what it took per key since the last
exchange and takes in what all processes left (fedishare.storage.rate_buckets). On SQLite
the instance has one web process, and its limiters are never shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping

from fedishare.core.rate_limit import RateLimiter
from fedishare.storage import rate_buckets
from fedishare.storage.database import Database

SYNC_SECONDS = 1.0
log = logging.getLogger(__name__)


async def exchange(
    db: Database, limiters: Mapping[str, RateLimiter], now: Callable[[], float] = time.time
) -> None:
    """One exchange for every limiter (by the name its shared buckets have)."""
    for name, limiter in limiters.items():
        used = limiter.usage()
        if not used:
            continue
        try:
            left = await rate_buckets.exchange(
                db, name, capacity=limiter.capacity, rate=limiter.rate, now=now(), used=used
            )
        except BaseException:
            limiter.keep_usage(used)
            raise
        limiter.settle(left)


async def run_exchanges(
    db: Database, limiters: Mapping[str, RateLimiter], stop: asyncio.Event
) -> None:
    """Exchange every SYNC_SECONDS until `stop` is set; a failed exchange (the database
    away for a moment) is logged, and what it held is taken at the next."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SYNC_SECONDS)
        try:
            await exchange(db, limiters)
        except Exception:
            log.exception("sharing the rate limits with the other web processes failed")
