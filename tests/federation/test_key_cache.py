"""PublicKeyCache: least recently used out first, one key per owner, shared fetches."""

from __future__ import annotations

import asyncio

import pytest

from fedishare.federation.key_cache import PublicKeyCache
from fedishare.federation.public_key import ResolvedKey
from tests.mastodon_peer import rsa_key


def key(key_id: str, owner: str) -> ResolvedKey:
    return ResolvedKey(key_id, owner, rsa_key(0).public_key())


def test_the_least_recently_used_key_goes_first() -> None:
    cache = PublicKeyCache(capacity=2)
    cache.put(key("a#k", "a"))
    cache.put(key("b#k", "b"))
    assert cache.get("a#k") is not None
    cache.put(key("c#k", "c"))
    assert cache.get("b#k") is None
    assert cache.get("a#k") is not None and cache.get("c#k") is not None
    assert len(cache) == 2


def test_a_new_key_of_an_owner_replaces_the_old_one() -> None:
    cache = PublicKeyCache()
    cache.put(key("a#old", "a"))
    cache.put(key("a#new", "a"))
    assert cache.get("a#old") is None
    assert cache.get("a#new") is not None
    cache.forget_owner("a")
    assert cache.get("a#new") is None and len(cache) == 0


async def test_once_shares_one_run_between_concurrent_callers() -> None:
    cache = PublicKeyCache()
    runs = 0
    gate = asyncio.Event()

    async def work() -> int:
        nonlocal runs
        runs += 1
        await gate.wait()
        return 7

    waiting = [asyncio.ensure_future(cache.once("x", work)) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiting) == [7] * 5
    assert runs == 1
    assert await cache.once("x", work) == 7  # finished runs are not reused
    assert runs == 2


async def test_once_shares_failures_and_survives_a_cancelled_caller() -> None:
    cache = PublicKeyCache()
    gate = asyncio.Event()

    async def work() -> int:
        await gate.wait()
        raise ValueError("no")

    first = asyncio.ensure_future(cache.once("x", work))
    second = asyncio.ensure_future(cache.once("x", work))
    await asyncio.sleep(0)
    first.cancel()
    gate.set()
    with pytest.raises(ValueError, match="no"):
        await second
    with pytest.raises(asyncio.CancelledError):
        await first
