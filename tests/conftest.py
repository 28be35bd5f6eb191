"""Fixtures shared across the suite: in-process networks of instances, a hand-moved clock
and a bare database."""

from __future__ import annotations

import itertools
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from fedishare.accounts import members
from fedishare.federation.keys import KeyPair, generate_key_pair
from fedishare.storage.database import Database, open_database
from tests.clock import FakeClock
from tests.databases import drop_template, drop_test_databases, fresh_database
from tests.harness import Network, Node, network
from tests.listings.factory import START

# Property-based tests (hypothesis) run the same examples on every run and keep none between
# runs, so that a failure in CI is reproduced by the test alone; no per-example deadline (two
# loaded cores make timings noisy): each test keeps its own example count modest instead.
settings.register_profile("fedishare", derandomize=True, database=None, deadline=None)
settings.load_profile("fedishare")

# Making an RSA-2048 key takes about 150 ms, and most tests make several instances and
# members: in-process actors take their keys from a pool of this many, made as first needed
# and then handed out in turn (distinct within any test with fewer actors than that).
# Processes started by tests (`fedishare serve`) make their own.
KEY_POOL = 24
_pool: list[KeyPair] = []
_turn = itertools.count()
_pool_lock = threading.Lock()


def _pooled_key_pair() -> KeyPair:
    with _pool_lock:
        index = next(_turn) % KEY_POOL
        if index == len(_pool):
            _pool.append(generate_key_pair())
        return _pool[index]


@pytest.fixture(autouse=True)
def pooled_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members, "generate_key_pair", _pooled_key_pair)


@pytest.fixture
async def net(tmp_path: Path) -> AsyncIterator[Network]:
    async with network(tmp_path) as n:
        yield n


@pytest.fixture
async def node(net: Network) -> Node:
    return await net.add("oak.test")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def oak(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Node]:
    """oak.test alone, on the hand-moved clock."""
    async with network(tmp_path, clock) as net:
        yield await net.add("oak.test")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(fresh_database(tmp_path, "listings")) as database:
        yield database


# On PostgreSQL (tests/databases.py), each test's databases are dropped when it ends, and each
# test process's template when its tests end.
@pytest.fixture(autouse=True)
def _test_databases() -> Iterator[None]:
    yield
    drop_test_databases()


@pytest.fixture(autouse=True, scope="session")
def _database_template() -> Iterator[None]:
    yield
    drop_template()
