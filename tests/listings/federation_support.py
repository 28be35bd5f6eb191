"""Instances that take in each other's listings, in one process, for the federation tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from fedishare.accounts.members import create_member
from fedishare.core.listing import Listing, Status
from fedishare.core.types import JSON
from fedishare.listings import expiry
from fedishare.listings.peers import add_peer
from fedishare.storage import follows
from fedishare.storage import listings as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.listing_search import Hit, Query, search
from tests.clock import FakeClock
from tests.harness import Network, Node, network
from tests.waiting import eventually

OAKFIELD = (51.5, -0.12)


@asynccontextmanager
async def federation(
    directory: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Network]:
    """A network of instances on one hand-moved clock, their workers running; the expiry
    worker looks every 0.1 s instead of every minute."""
    monkeypatch.setattr(expiry, "INTERVAL_SECONDS", 0.1)
    async with network(directory, clock) as net:
        yield net


async def member(node: Node, name: str) -> LocalActor:
    return await create_member(node.instance.db, node.instance.clock, name)


def community(node: Node) -> str:
    return f"{node.base}/users/community"


async def peer(follower: Node, followed: Node) -> None:
    """`follower` runs `fedishare peer add` for `followed`, and the follow is accepted."""
    added = await add_peer(follower.instance, followed.domain)
    assert added.actor == community(followed)

    async def accepted() -> bool:
        found = await follows.find(follower.instance.db, community(follower), community(followed))
        return found is not None and found.state == "accepted"

    await eventually(accepted)


async def kept(node: Node, listing_id: str) -> Listing | None:
    return await store.get(node.instance.db, listing_id)


async def document(node: Node, listing_id: str) -> JSON | None:
    stored = await store.get_document(node.instance.db, listing_id)
    return None if stored is None else stored[0]


async def arrives(node: Node, listing_id: str, status: Status = "open") -> Listing:
    """Wait until `node` keeps the listing with `status`, as its origin published it."""

    async def probe() -> Listing | None:
        doc = await document(node, listing_id)
        found = await kept(node, listing_id)
        if found is None or doc is None or doc.get("listingStatus") != status:
            return None
        return found

    result = await eventually(probe)
    assert result is not None
    return result


async def settled(*nodes: Node) -> None:
    """Wait until every node has delivered everything and processed its whole inbox."""

    async def idle() -> bool:
        for node in nodes:
            db = node.instance.db
            pending = await db.fetch_value(
                "SELECT count(*) FROM deliveries WHERE state = 'pending'"
            )
            unprocessed = await db.fetch_value(
                "SELECT count(*) FROM inbox_items WHERE state = 'received'"
            )
            if pending or unprocessed:
                return False
        return True

    await eventually(idle)


async def found(node: Node, query: Query) -> list[str]:
    hits: list[Hit] = await search(node.instance.db, query)
    return [h.listing.id for h in hits]
