"""An operator keeps the network to a radius around the neighbourhood: a peer's listings
farther away are not taken in, and one that moves away is removed."""

from __future__ import annotations

from fedishare.listings import service
from fedishare.storage.listing_search import Query
from tests.harness import Network
from tests.listings.factory import draft
from tests.listings.federation_support import (
    OAKFIELD,
    arrives,
    document,
    found,
    kept,
    member,
    peer,
    settled,
)
from tests.waiting import eventually

EDINBURGH = {"name": "Leith", "latitude": 55.97, "longitude": -3.17}


async def test_listings_outside_the_radius_are_left_out(clocked_net: Network) -> None:
    oak = await clocked_net.add("oak.test")
    elm = await clocked_net.add(
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
