"""Blocking and silencing a domain, and blocking one remote account, between two instances
in one process: what a block stops both ways at once, what leaves search, the board and the
public timeline at once, and what a silence leaves to the author's followers."""

from __future__ import annotations

from fedishare.accounts.members import create_member
from fedishare.core.paging import Page
from fedishare.listings import service
from fedishare.moderation import account_blocks, domain_blocks
from fedishare.remote.publish import publish
from fedishare.statuses import timelines
from fedishare.storage import actors, follows
from fedishare.storage import listings as listing_store
from fedishare.storage.actors import LocalActor
from fedishare.storage.listing_search import Query, search
from tests.harness import Network, Node
from tests.listings.factory import draft
from tests.moderation.moderation_support import arrives, following
from tests.waiting import eventually

BOB = "http://elm.test/users/bob"
CAROL = "http://elm.test/users/carol"
ALICE = "http://oak.test/users/alice"


async def admin(node: Node) -> LocalActor:
    found = await actors.find_by_kind(node.instance.db, "application")
    assert found is not None
    return found


async def found(node: Node, viewer: str | None = None) -> set[str]:
    hits = await search(node.instance.db, Query(viewer=viewer, limit=100))
    return {h.listing.title for h in hits}


async def public_authors(node: Node) -> set[str]:
    rows = await timelines.public(node.instance, Page(limit=40))
    return {r.author for r in rows}


async def two(net: Network) -> tuple[Node, Node, LocalActor, LocalActor, LocalActor]:
    oak, elm = await net.add("oak.test"), await net.add("elm.test")
    alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
    bob = await create_member(elm.instance.db, elm.instance.clock, "bob")
    carol = await create_member(elm.instance.db, elm.instance.clock, "carol")
    return oak, elm, alice, bob, carol


async def test_a_block_stops_traffic_both_ways_and_empties_search_at_once(net: Network) -> None:
    oak, elm, alice, bob, _ = await two(net)
    await following(oak, alice, BOB)
    await following(elm, bob, ALICE)
    bike = await service.create_listing(elm.instance, bob, draft(title="Bike"))
    await arrives(oak, bike.listing.id)
    assert await found(oak) == {"Bike"} and BOB in await public_authors(oak)

    await domain_blocks.block(oak.instance, "elm.test", "spam", await admin(oak))

    # At once, with nothing refreshed: out of search and the public timeline.
    assert await found(oak) == set() and BOB not in await public_authors(oak)
    assert await follows.find(oak.instance.db, ALICE, BOB) is None
    # elm's next listing is refused at oak's inbox (403): it never arrives.
    lamp = await service.create_listing(elm.instance, bob, draft(title="Lamp"))

    async def elm_gave_up() -> bool:
        rows = await elm.instance.db.fetch_all(
            "SELECT d.state FROM deliveries d JOIN outbox_activities a"
            " ON a.id = d.activity_rowid WHERE d.host = 'oak.test' AND a.activity_id = ?",
            (lamp.activity["id"],),
        )
        return bool(rows) and all(r["state"] == "failed" for r in rows)

    await eventually(elm_gave_up)
    assert await listing_store.get(oak.instance.db, lamp.listing.id) is None
    # Nothing of oak's goes to elm either, even when queued by hand.
    note = {"id": f"{oak.base}/activities/x", "type": "Create", "actor": ALICE}
    await publish(oak.instance, alice, note, ["http://elm.test/users/bob/inbox"])

    async def oak_refused() -> bool:
        row = await oak.instance.db.fetch_one(
            "SELECT d.state FROM deliveries d JOIN outbox_activities a"
            " ON a.id = d.activity_rowid WHERE a.activity_id = ?",
            (note["id"],),
        )
        return row is not None and row["state"] == "failed"

    await eventually(oak_refused)
    assert (
        await elm.instance.db.fetch_value(
            "SELECT count(*) FROM inbox_items WHERE activity_id = ?", (note["id"],)
        )
        == 0
    )

    # Unblocked: what oak kept shows again (the follows do not come back).
    await domain_blocks.unblock(oak.instance, "elm.test")
    assert await found(oak) == {"Bike"}


async def test_a_silence_hides_listings_but_leaves_followers_and_follows(net: Network) -> None:
    oak, elm, alice, bob, carol = await two(net)
    dora = await create_member(oak.instance.db, oak.instance.clock, "dora")
    await following(oak, alice, BOB)
    bike = await service.create_listing(elm.instance, bob, draft(title="Bike"))
    await arrives(oak, bike.listing.id)
    assert "Bike" in (await net.client().get(f"{oak.base}/")).text

    await domain_blocks.block(oak.instance, "elm.test", "", await admin(oak), "silence")

    assert await found(oak) == set()  # the board and search, for a visitor
    assert await found(oak, viewer=f"{oak.base}/users/dora") == set()  # and a non-follower
    assert await found(oak, viewer=ALICE) == {"Bike"}  # alice follows bob
    assert BOB not in await public_authors(oak)
    home = await timelines.home(oak.instance, alice, Page(limit=40))
    assert BOB in {r.author for r in home}
    assert oak.instance.domains.permits("elm.test")  # federation goes on
    page = (await net.client().get(f"{oak.base}/")).text
    assert "Bike" not in page
    # New listings still arrive, and follows still work (carol is new to oak).
    lamp = await service.create_listing(elm.instance, bob, draft(title="Lamp"))
    await arrives(oak, lamp.listing.id)
    await following(oak, dora, CAROL)
    mug = await service.create_listing(elm.instance, carol, draft(title="Mug"))
    await arrives(oak, mug.listing.id)
    await domain_blocks.reload(oak.instance)  # the periodic pass hides authors new to oak
    assert await found(oak) == set()
    assert await found(oak, viewer=ALICE) == {"Bike", "Lamp"}
    assert await found(oak, viewer=f"{oak.base}/users/dora") == {"Mug"}

    await domain_blocks.change(oak.instance, "elm.test", "suspend", "worse")
    assert await found(oak, viewer=ALICE) == set()
    assert await follows.find(oak.instance.db, ALICE, BOB) is None
    await domain_blocks.unblock(oak.instance, "elm.test")
    assert await found(oak) == {"Bike", "Lamp", "Mug"}


async def test_a_blocked_account_is_refused_and_hidden_its_neighbours_are_not(
    net: Network,
) -> None:
    oak, elm, alice, bob, carol = await two(net)
    await following(oak, alice, BOB)
    await following(oak, alice, CAROL)
    bike = await service.create_listing(elm.instance, bob, draft(title="Bike"))
    mug = await service.create_listing(elm.instance, carol, draft(title="Mug"))
    await arrives(oak, bike.listing.id)
    await arrives(oak, mug.listing.id)

    await account_blocks.block(oak.instance, "@bob@elm.test", "abuse", await admin(oak))

    assert await found(oak, viewer=ALICE) == {"Mug"}
    assert await follows.find(oak.instance.db, ALICE, BOB) is None
    assert await follows.find(oak.instance.db, ALICE, CAROL) is not None
    lamp = await service.create_listing(elm.instance, bob, draft(title="Lamp"))

    async def refused() -> bool:
        row = await elm.instance.db.fetch_one(
            "SELECT d.state FROM deliveries d JOIN outbox_activities a"
            " ON a.id = d.activity_rowid WHERE d.host = 'oak.test' AND a.activity_id = ?",
            (lamp.activity["id"],),
        )
        return row is not None and row["state"] == "failed"

    await eventually(refused)
    assert await listing_store.get(oak.instance.db, lamp.listing.id) is None
    await account_blocks.unblock(oak.instance, BOB)
    assert await found(oak) == {"Bike", "Mug"}
