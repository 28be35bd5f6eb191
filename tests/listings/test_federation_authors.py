"""Without peers: a member who follows an author on another server gets that author's
listings, edits and deletions; an author who is deleted takes their listings along.
Nobody else's listings are taken in."""

from __future__ import annotations

from fedishare.follows.following import follow_actor
from fedishare.inbox.dispatch import dispatch
from fedishare.inbox.item import InboxItem
from fedishare.listings import service
from fedishare.listings.wire import to_note
from fedishare.storage import follows
from tests.harness import Network
from tests.listings.factory import draft
from tests.listings.federation_support import (
    arrives,
    community,
    kept,
    member,
    settled,
)
from tests.waiting import eventually

ALICE = "http://oak.test/users/alice"
CAROL = "http://oak.test/users/carol"


async def test_a_followed_authors_listings_arrive_and_leave_with_them(clocked_net: Network) -> None:
    oak, elm = await clocked_net.add("oak.test"), await clocked_net.add("elm.test")
    alice = await member(oak, "alice")
    bob = await member(elm, "bob")
    await follow_actor(elm.instance, bob, ALICE)

    async def accepted() -> bool:
        found = await follows.find(elm.instance.db, "http://elm.test/users/bob", ALICE)
        return found is not None and found.state == "accepted"

    await eventually(accepted)
    bike = (await service.create_listing(oak.instance, alice, draft())).listing.id
    await arrives(elm, bike)

    await service.edit_listing(oak.instance, alice, bike, draft(title="Red bike"))

    async def renamed() -> bool:
        found = await kept(elm, bike)
        return found is not None and found.title == "Red bike"

    await eventually(renamed)
    await service.delete_listing(oak.instance, alice, bike)

    async def dropped() -> bool:
        return await kept(elm, bike) is None

    await eventually(dropped)

    lamp = (await service.create_listing(oak.instance, alice, draft(title="Lamp"))).listing.id
    await arrives(elm, lamp)
    await settled(oak, elm)
    # Alice's account is deleted on oak; its Delete reaches elm (delivered by hand here).
    gone = {"id": f"{ALICE}#delete", "type": "Delete", "actor": ALICE, "object": ALICE}
    await dispatch(elm.instance, InboxItem(gone, ALICE, None))
    assert await kept(elm, lamp) is None


async def test_listings_of_actors_nobody_follows_are_not_taken_in(clocked_net: Network) -> None:
    oak, elm = await clocked_net.add("oak.test"), await clocked_net.add("elm.test")
    carol = await member(oak, "carol")
    await member(elm, "bob")
    mug = await service.create_listing(oak.instance, carol, draft(title="Mug"))
    note = to_note(mug.listing, oak.base)
    # Carol's Create, and her community's Announce, sent to elm though nobody there asked.
    for activity in [
        mug.activity,
        {"id": f"{oak.base}/a/1", "type": "Announce", "actor": community(oak), "object": note},
    ]:
        await dispatch(elm.instance, InboxItem(activity, activity["actor"], None))
    assert await kept(elm, mug.listing.id) is None
    assert await elm.instance.db.fetch_value("SELECT count(*) FROM listings") == 0
    assert CAROL == mug.listing.author
