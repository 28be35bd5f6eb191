from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Network, Node, network


@pytest.fixture
async def net(tmp_path: Path) -> AsyncIterator[Network]:
    async with network(tmp_path) as n:
        yield n


@pytest.fixture
async def node(net: Network) -> Node:
    return await net.add("oak.test")
