"""Fixtures for the listings tests (beside the suite's, in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.clock import FakeClock
from tests.harness import Network
from tests.listings.federation_support import federation


@pytest.fixture
async def clocked_net(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Network]:
    """Unlike `net` (on the real clock): a network on the hand-moved `clock`, its expiry
    worker looking every 0.1 s, for listings that federate through their whole life."""
    async with federation(tmp_path, clock, monkeypatch) as n:
        yield n
