"""Favourites, boosts and bookmarks: local authors counted and notified here, other
servers' authors sent the Like, Announce and Undo."""

from __future__ import annotations

from fedishare.accounts.members import create_member
from fedishare.statuses import interactions
from fedishare.statuses.posting import Draft, post_status
from fedishare.storage import bookmarks, objects, reactions, statuses
from tests.harness import Network, Node
from tests.waiting import eventually


async def test_local_favourite_and_boost_are_counted_without_delivery(node: Node) -> None:
    inst = node.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    carol = await create_member(inst.db, inst.clock, "carol")
    row = await post_status(inst, alice, Draft("hello"))
    await interactions.favourite(inst, carol, row.id)
    await interactions.favourite(inst, carol, row.id)  # once only
    boost = await interactions.reblog(inst, carol, row.id)
    assert boost.kind == "reblog" and boost.reblog_of == row.id
    stored = await objects.get(inst.db, row.uri)
    assert stored is not None and (stored.likes, stored.announces) == (1, 1)
    # a favourite of the boost is one of the status
    await interactions.unfavourite(inst, carol, boost.id)
    await interactions.unreblog(inst, carol, row.id)
    stored = await objects.get(inst.db, row.uri)
    assert stored is not None and (stored.likes, stored.announces) == (0, 0)
    gone = await statuses.get(inst.db, boost.id)
    assert gone is not None and gone.deleted
    rows = await inst.db.fetch_all("SELECT type FROM notifications")
    assert sorted(r["type"] for r in rows) == ["favourite", "reblog"]


async def test_bookmarks_are_kept_here(node: Node) -> None:
    inst = node.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    row = await post_status(inst, alice, Draft("keep"))
    await interactions.bookmark(inst, alice, row.id)
    assert await bookmarks.bookmarked(inst.db, alice.id, [row.id]) == {row.id}
    await interactions.unbookmark(inst, alice, row.id)
    assert await bookmarks.bookmarked(inst.db, alice.id, [row.id]) == set()


async def test_a_remote_authors_status_gets_the_like_and_its_undo(net: Network) -> None:
    oak, elm = await net.add("oak.test"), await net.add("elm.test")
    alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
    bob = await create_member(elm.instance.db, elm.instance.clock, "bob")
    note = await post_status(elm.instance, bob, Draft("hi @alice@oak.test"))

    async def on_oak() -> statuses.StatusRow | None:
        return await statuses.by_uri(oak.instance.db, note.uri)

    seen = await eventually(on_oak)
    assert seen is not None
    await interactions.favourite(oak.instance, alice, seen.id)
    liker = "http://oak.test/users/alice"

    async def liked() -> bool:
        return await reactions.find(elm.instance.db, "Like", liker, note.uri) is not None

    await eventually(liked)
    await interactions.unfavourite(oak.instance, alice, seen.id)

    async def unliked() -> bool:
        return await reactions.find(elm.instance.db, "Like", liker, note.uri) is None

    await eventually(unliked)
    await interactions.reblog(oak.instance, alice, seen.id)

    async def boosted() -> bool:
        return await reactions.find(elm.instance.db, "Announce", liker, note.uri) is not None

    await eventually(boosted)
