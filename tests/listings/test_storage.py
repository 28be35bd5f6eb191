"""Storing listings: newer-only upserts, origins kept apart, tombstones, status changes,
expiry, and the full-text index following every change."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from fedishare.core.listing import TIME_CREDIT, Image, Listing, Reciprocal
from fedishare.listings.wire import to_note
from fedishare.storage import listings as store
from fedishare.storage import statuses
from fedishare.storage.database import Database
from fedishare.storage.listing_search import Query, search
from tests.listings.factory import OAK, START, listing, stay_offer

HASH = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"


async def save(db: Database, item: Listing) -> bool:
    async with db.transaction() as tx:
        return await store.upsert(tx, item, to_note(item, OAK))


async def found(db: Database, words: str) -> list[str]:
    return [h.listing.id for h in await search(db, Query(words=words, statuses=()))]


async def test_a_listing_comes_back_as_it_went_in(db: Database) -> None:
    items = [
        listing(
            kind="help",
            purpose="offer",
            hours=1.5,
            reciprocal=Reciprocal("hour", 1.0, TIME_CREDIT),
            images=(Image("https://oak.example/m/1.jpg", "alt", "image/jpeg"),),
        ),
        stay_offer(n=2, reserved_for="https://elm.example/users/bob", status="reserved"),
        listing(n=3, kind="lend", return_by=START + timedelta(days=3), origin="remote"),
        listing(n=4, images=(Image(f"{OAK}/media/ab/x.jpg", "alt", "image/jpeg", 800, 600, HASH),)),
    ]
    for item in items:
        assert await save(db, item)
        assert await store.get(db, item.id) == item
    stored = await store.get_document(db, items[0].id)
    assert stored == (to_note(items[0], OAK), False)
    # NodeInfo counts ours.
    assert await db.fetch_value("SELECT count(*) FROM listings WHERE remote = 0") == 3


async def test_only_a_newer_version_replaces_the_stored_one(db: Database) -> None:
    first = listing()
    assert await save(db, first)
    assert not await save(db, dataclasses.replace(first, title="Same time"))
    assert not await save(db, dataclasses.replace(first, updated=START - timedelta(1)))
    newer = dataclasses.replace(first, title="Red tandem", updated=START + timedelta(seconds=1))
    assert await save(db, newer)
    assert await store.get(db, first.id) == newer
    # The index followed: the old words are gone, the new ones found.
    assert await found(db, "bike") == [] and await found(db, "tandem") == [first.id]
    assert await found(db, "rust") == [first.id]


async def test_a_remote_object_never_replaces_one_of_ours(db: Database) -> None:
    ours = listing()
    await save(db, ours)
    forged = dataclasses.replace(
        ours, origin="remote", title="Forged", updated=START + timedelta(1)
    )
    assert not await save(db, forged)
    assert await store.get(db, ours.id) == ours


async def test_a_deleted_listing_is_a_tombstone_whose_id_stays_taken(db: Database) -> None:
    item = listing()
    await save(db, item)
    tombstone = {"id": item.id, "type": "Tombstone"}
    async with db.transaction() as tx:
        assert await store.delete(tx, item.id, START + timedelta(1), tombstone)
        assert not await store.delete(tx, item.id, START + timedelta(2), tombstone)
    assert await store.get(db, item.id) is None
    assert await store.get_document(db, item.id) == (tombstone, True)
    assert await found(db, "bike") == [] and await found(db, "Oakfield") == []
    assert not await save(db, dataclasses.replace(item, updated=START + timedelta(days=3)))
    row = await db.fetch_one("SELECT title, lat, description FROM listings")
    assert row is not None and tuple(row) == ("", None, "")


async def test_a_listing_withdrawn_here_comes_back_with_a_newer_version(db: Database) -> None:
    theirs = listing(origin="remote", author="http://elm.test/users/bob", title="Red kettle")
    await save(db, theirs)
    tombstone = {"id": theirs.id, "type": "Tombstone"}
    async with db.transaction() as tx:
        assert await store.delete(tx, theirs.id, START + timedelta(1), tombstone, for_good=False)
    assert await store.get(db, theirs.id) is None and await found(db, "kettle") == []
    status = await statuses.by_uri(db, theirs.id)
    assert status is not None and status.deleted
    # The version we had, or an older one, does not bring it back; a newer one does, whole:
    # found by its words, its status live again.
    assert not await save(db, theirs)
    newer = dataclasses.replace(
        theirs, title="Red kettle, still here", updated=START + timedelta(2)
    )
    assert await save(db, newer)
    assert await store.get(db, theirs.id) == newer
    assert await found(db, "kettle") == [theirs.id]
    status = await statuses.by_uri(db, theirs.id)
    assert status is not None and not status.deleted
    # Withdrawn and back again, then deleted for good: nothing brings it back.
    async with db.transaction() as tx:
        assert await store.delete(tx, theirs.id, START + timedelta(3), tombstone, for_good=False)
    assert await save(db, dataclasses.replace(newer, updated=START + timedelta(4)))
    async with db.transaction() as tx:
        assert await store.delete(tx, theirs.id, START + timedelta(5), tombstone)
    assert not await save(db, dataclasses.replace(newer, updated=START + timedelta(6)))
    assert await found(db, "kettle") == []


async def test_set_status_needs_a_newer_time(db: Database) -> None:
    item = listing()
    await save(db, item)
    later = START + timedelta(minutes=5)
    async with db.transaction() as tx:
        assert await store.set_status(
            tx, item.id, "reserved", updated=later, document={}, reserved_for="https://b.example/u"
        )
        assert not await store.set_status(tx, item.id, "open", updated=later, document={})
    got = await store.get(db, item.id)
    assert got is not None
    assert (got.status, got.reserved_for, got.updated) == ("reserved", "https://b.example/u", later)


async def test_expiry_marks_due_listings_and_returns_ours(db: Database) -> None:
    soon = START + timedelta(days=1)
    ours = listing(n=1, expires=soon)
    theirs = listing(n=2, origin="remote", expires=soon)
    later = listing(n=3, expires=soon + timedelta(days=1))
    taken = listing(n=4, status="taken", expires=soon)
    for item in (ours, theirs, later, taken):
        await save(db, item)
    async with db.transaction() as tx:
        assert await store.expire_due(tx, soon - timedelta(seconds=1)) == []
        assert await store.expire_due(tx, soon) == [ours.id]
        assert await store.expire_due(tx, soon) == []
    mine, remote = await store.get(db, ours.id), await store.get(db, theirs.id)
    assert mine is not None and remote is not None
    assert (mine.status, mine.updated) == ("expired", soon)
    assert (remote.status, remote.updated) == ("expired", START)  # their clock, not ours
    other = await store.get(db, later.id)
    assert other is not None and other.status == "open"


async def test_expiry_moves_updated_on_even_within_the_same_second(db: Database) -> None:
    item = listing(expires=START, updated=START)
    await save(db, item)
    async with db.transaction() as tx:
        assert await store.expire_due(tx, START) == [item.id]
    got = await store.get(db, item.id)
    assert got is not None and got.updated == START + timedelta(seconds=1)


async def test_bulk_insert_indexes_everything(db: Database) -> None:
    items = [listing(n=i, title=f"Thing {i} teapot" if i % 2 else f"Thing {i}") for i in range(10)]
    async with db.transaction() as tx:
        await store.insert_many(tx, ((i, to_note(i, OAK)) for i in items))
    assert sorted(await found(db, "teapot")) == sorted(i.id for i in items if "teapot" in i.title)


async def test_a_deleted_remote_author_takes_their_listings(db: Database) -> None:
    bob = "https://elm.example/users/bob"
    theirs = [listing(n=i, origin="remote", author=bob) for i in (1, 2)]
    ours = listing(n=3)
    for item in (*theirs, ours):
        await save(db, item)
    async with db.transaction() as tx:
        assert await store.delete_by_author(tx, bob, START) == 2
        assert await store.delete_by_author(tx, ours.author, START) == 0  # never ours
    assert [await store.get(db, i.id) for i in theirs] == [None, None]
    assert await store.get(db, ours.id) == ours
