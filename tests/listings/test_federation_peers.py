"""A neighbourhood's listings reach a peer that added it, and follow it through its life:
offered, reserved, taken, expired, deleted. A server that is no peer sees none of it."""

from __future__ import annotations

from fedishare.listings import service
from fedishare.listings.peers import add_peer
from fedishare.storage.listing_search import Query
from tests.clock import FakeClock
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

BOB = "http://elm.test/users/bob"


async def test_a_listing_lives_on_a_peer(clocked_net: Network, clock: FakeClock) -> None:
    oak, elm, ash = (
        await clocked_net.add("oak.test"),
        await clocked_net.add("elm.test"),
        await clocked_net.add("ash.test"),
    )
    alice = await member(oak, "alice")
    await member(elm, "bob")
    await peer(elm, oak)

    bike = (await service.create_listing(oak.instance, alice, draft())).listing.id
    await arrives(elm, bike)
    near = Query(words="bike", near=OAKFIELD, within_km=5)
    assert await found(elm, near) == [bike]
    remote = await kept(elm, bike)
    assert remote is not None and not remote.is_local and remote.author == f"{oak.base}/users/alice"

    await service.reserve(oak.instance, alice, bike, BOB)
    reserved = await arrives(elm, bike, "reserved")
    assert reserved.reserved_for == BOB
    assert await found(elm, near) == []  # searches show open listings

    clock.advance(seconds=5)
    await service.mark_done(oak.instance, alice, bike)
    assert (await arrives(elm, bike, "taken")).status == "taken"

    lamp = await service.create_listing(
        oak.instance, alice, draft(title="Lamp", expires="2026-05-03")
    )
    await arrives(elm, lamp.listing.id)
    clock.advance(days=3)  # oak's expiry worker expires the lamp and publishes it
    expired = await arrives(elm, lamp.listing.id, "expired")
    assert expired.updated > lamp.listing.updated

    await service.delete_listing(oak.instance, alice, bike)

    async def dropped() -> bool:
        return await kept(elm, bike) is None

    await eventually(dropped)
    tombstone = await document(elm, bike)
    assert tombstone is not None and tombstone["type"] == "Tombstone"
    everything = Query(words="bike", statuses=())
    assert await found(elm, everything) == []

    await settled(oak, elm, ash)
    assert await ash.instance.db.fetch_value("SELECT count(*) FROM listings") == 0
    assert await ash.instance.db.fetch_value("SELECT count(*) FROM inbox_items") == 0
    failed = await oak.instance.db.fetch_value(
        "SELECT count(*) FROM deliveries WHERE state != 'delivered'"
    )
    assert failed == 0


async def test_a_new_peer_takes_in_what_was_announced_before(clocked_net: Network) -> None:
    oak, elm = await clocked_net.add("oak.test"), await clocked_net.add("elm.test")
    alice = await member(oak, "alice")
    bike = (await service.create_listing(oak.instance, alice, draft())).listing.id
    lamp = (await service.create_listing(oak.instance, alice, draft(title="Lamp"))).listing.id
    await service.reserve(oak.instance, alice, lamp, BOB)
    gone = (await service.create_listing(oak.instance, alice, draft(title="Kettle"))).listing.id
    await service.delete_listing(oak.instance, alice, gone)

    added = await add_peer(elm.instance, "oak.test")
    assert added.taken_in == 2
    assert await found(elm, Query(words="bike")) == [bike]
    reserved = await kept(elm, lamp)
    assert reserved is not None and reserved.status == "reserved"
    assert await kept(elm, gone) is None and await document(elm, gone) is None
