"""Fixtures shared across the suite: in-process networks of instances, a hand-moved clock
and a bare database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fedishare.storage.database import Database, open_database
from tests.clock import FakeClock
from tests.harness import Network, Node, network
from tests.listings.factory import START


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
    async with open_database(tmp_path / "listings.sqlite3") as database:
        yield database
