"""An operator keeps the network to a radius around the neighbourhood: a peer's listings
farther away are not taken in, and one that moves away is removed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fedishare.listings import service
from fedishare.storage.listing_search import Query
from tests.clock import FakeClock
from tests.harness import Network
from tests.listings.factory import draft
from tests.listings.federation_support import (
    OAKFIELD,
    arrives,
    document,
    federation,
    found,
    kept,
    member,
    peer,
    settled,
)
from tests.waiting import eventually

EDINBURGH = {"name": "Leith", "latitude": 55.97, "longitude": -3.17}


@pytest.fixture
async def net(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Network]:
    async with federation(tmp_path, clock, monkeypatch) as n:
        yield n


async def test_listings_outside_the_radius_are_left_out(net: Network) -> None:
    oak = await net.add("oak.test")
    elm = await net.add(
        "elm.test",
        community={"latitude": 51.52, "longitude": -0.10},
        federation={"radius_km": 20},
    )
    alice = await member(oak, "alice")
    await peer(elm, oak)

    far = await service.create_listing(oak.instance, alice, draft(place=EDINBURGH))
    near = await service.create_listing(oak.instance, alice, draft(title="Lamp"))
    nowhere = await service.create_listing(
        oak.instance, alice, draft(title="Kettle", place={"name": "somewhere"})
    )
    await arrives(elm, near.listing.id)
    await arrives(elm, nowhere.listing.id)  # no position: nothing says it is far
    await settled(oak, elm)
    assert await kept(elm, far.listing.id) is None
    assert await document(elm, far.listing.id) is None
    assert await found(elm, Query(words="bike", statuses=())) == []
    assert await found(elm, Query(words="lamp", near=OAKFIELD, within_km=5)) == [near.listing.id]

    # The lamp moves to Leith: elm lets it go.
    await service.edit_listing(
        oak.instance, alice, near.listing.id, draft(title="Lamp", place=EDINBURGH)
    )

    async def gone() -> bool:
        return await kept(elm, near.listing.id) is None

    await eventually(gone)
    # Oak, with no radius, keeps its own far listing of course.
    assert await kept(oak, far.listing.id) is not None
