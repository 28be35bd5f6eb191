from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fedishare.storage.database import Database, open_database
from tests.harness import Node, network
from tests.listings.factory import START


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def oak(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Node]:
    async with network(tmp_path, clock) as net:
        yield await net.add("oak.test")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(tmp_path / "listings.sqlite3") as database:
        yield database
