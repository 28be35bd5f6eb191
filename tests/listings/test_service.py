"""Our members' listings through their life, and the activities each change returns."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fedishare.accounts.members import create_member, set_member_disabled
from fedishare.core.activitystreams import PUBLIC
from fedishare.core.errors import Forbidden, NotFound, Refusal
from fedishare.http.errors import status_of
from fedishare.listings import service
from fedishare.listings.wire import to_note
from fedishare.storage import listings as store
from fedishare.storage.actors import LocalActor
from tests.clock import FakeClock
from tests.harness import Node
from tests.listings.factory import START, draft, listing, stay_draft

BOB = "http://elm.test/users/bob"


@pytest.fixture
async def alice(oak: Node) -> LocalActor:
    inst = oak.instance
    return await create_member(inst.db, inst.clock, "alice")


async def test_create_stores_and_returns_the_create(oak: Node, alice: LocalActor) -> None:
    inst = oak.instance
    change = await service.create_listing(inst, alice, draft())
    note = change.activity["object"]
    assert change.sender == alice
    assert change.activity["type"] == "Create"
    assert change.activity["id"] == f"{note['id']}/activity"
    assert change.activity["actor"] == "http://oak.test/users/alice"
    assert (change.activity["to"], change.activity["cc"]) == (note["to"], note["cc"])
    assert note["id"].startswith("http://oak.test/listings/")
    assert note["audience"] == "http://oak.test/users/community"
    assert note["published"] == "2026-05-01T10:00:00Z" and "updated" not in note
    assert note == to_note(change.listing, inst.urls.base)
    assert await store.get(inst.db, note["id"]) == change.listing
    assert await store.get_document(inst.db, note["id"]) == (note, False)


async def test_a_stay_is_created_unlisted(oak: Node, alice: LocalActor) -> None:
    change = await service.create_listing(oak.instance, alice, stay_draft())
    assert change.activity["to"] == [
        "http://oak.test/users/alice/followers",
        "http://oak.test/users/community",
    ]
    assert change.activity["cc"] == [PUBLIC]


async def test_invalid_listings_are_refused_and_not_stored(oak: Node, alice: LocalActor) -> None:
    with pytest.raises(Refusal, match="title: required"):
        await service.create_listing(oak.instance, alice, draft(title=None))
    assert await oak.instance.db.fetch_value("SELECT count(*) FROM listings") == 0


async def test_only_active_members_publish(oak: Node, alice: LocalActor) -> None:
    inst = oak.instance
    await set_member_disabled(inst.db, "alice", True)
    disabled = await store_actor(oak, "alice")
    with pytest.raises(Forbidden):
        await service.create_listing(inst, disabled, draft())


async def store_actor(oak: Node, name: str) -> LocalActor:
    from fedishare.storage.actors import find_by_username

    actor = await find_by_username(oak.instance.db, name)
    assert actor is not None
    return actor


async def test_edit_returns_an_update_with_a_newer_updated(
    oak: Node, alice: LocalActor, clock: FakeClock
) -> None:
    inst = oak.instance
    created = await service.create_listing(inst, alice, draft())
    clock.advance(days=80)
    change = await service.edit_listing(inst, alice, created.listing.id, draft(title="Red bike"))
    note = change.activity["object"]
    assert change.activity["type"] == "Update"
    assert change.activity["id"].startswith("http://oak.test/activities/")
    assert note["id"] == created.listing.id and note["name"] == "Red bike"
    assert note["published"] == "2026-05-01T10:00:00Z"
    assert note["updated"] == "2026-07-20T10:00:00Z"
    # The expiry still counts from the first publication.
    assert change.listing.expires == START + timedelta(days=90)
    # A second edit in the same second is still newer.
    again = await service.edit_listing(inst, alice, created.listing.id, draft(title="Red bike!"))
    assert again.listing.updated == change.listing.updated + timedelta(seconds=1)
    assert await store.get(inst.db, created.listing.id) == again.listing


async def test_only_the_author_changes_a_listing(oak: Node, alice: LocalActor) -> None:
    inst = oak.instance
    bob = await create_member(inst.db, inst.clock, "bob")
    created = await service.create_listing(inst, alice, draft())
    with pytest.raises(Forbidden, match="only the author"):
        await service.edit_listing(inst, bob, created.listing.id, draft(title="Mine now"))
    with pytest.raises(Forbidden):
        await service.withdraw(inst, bob, created.listing.id)
    with pytest.raises(NotFound):
        await service.withdraw(inst, alice, "http://oak.test/listings/nope")


async def test_other_servers_listings_are_not_ours_to_change(oak: Node, alice: LocalActor) -> None:
    inst = oak.instance
    remote = listing(
        id="http://elm.test/listings/1", origin="remote", author="http://oak.test/users/alice"
    )
    async with inst.db.transaction() as tx:
        await store.upsert(tx, remote, to_note(remote, "http://elm.test"))
    with pytest.raises(NotFound):
        await service.withdraw(inst, alice, remote.id)


async def test_reserve_release_and_take(oak: Node, alice: LocalActor) -> None:
    inst = oak.instance
    lid = (await service.create_listing(inst, alice, draft())).listing.id
    reserved = await service.reserve(inst, alice, lid, BOB)
    note = reserved.activity["object"]
    assert reserved.activity["type"] == "Update"
    assert (note["listingStatus"], note["reservedFor"]) == ("reserved", BOB)
    assert note["publishes"]["availableQuantity"]["hasNumericalValue"] == "0"

    released = await service.release(inst, alice, lid)
    assert released.listing.status == "open" and released.listing.reserved_for is None
    assert "reservedFor" not in released.activity["object"]

    await service.reserve(inst, alice, lid, BOB)
    taken = await service.mark_done(inst, alice, lid)
    assert (taken.listing.status, taken.listing.reserved_for) == ("taken", BOB)
    assert taken.activity["object"]["listingStatus"] == "taken"
    stored = await store.get(inst.db, lid)
    assert stored == taken.listing
    assert await store.get_document(inst.db, lid) == (taken.activity["object"], False)


async def test_transitions_that_are_refused(oak: Node, alice: LocalActor) -> None:
    inst = oak.instance
    lid = (await service.create_listing(inst, alice, draft())).listing.id
    with pytest.raises(Refusal, match="cannot become open") as e:
        await service.release(inst, alice, lid)
    assert status_of(e.value) == 409
    with pytest.raises(Refusal, match="reserved for its author"):
        await service.reserve(inst, alice, lid, "http://oak.test/users/alice")
    with pytest.raises(Refusal, match="an actor id"):
        await service.reserve(inst, alice, lid, "bob")
    await service.mark_done(inst, alice, lid, recipient=BOB)
    with pytest.raises(Refusal, match="taken cannot become reserved"):
        await service.reserve(inst, alice, lid, BOB)
    with pytest.raises(Refusal, match="can no longer be edited"):
        await service.edit_listing(inst, alice, lid, draft())
    with pytest.raises(Refusal, match="taken cannot become withdrawn"):
        await service.withdraw(inst, alice, lid)


async def test_a_request_is_received(oak: Node, alice: LocalActor) -> None:
    inst = oak.instance
    wanted = draft(kind="wanted", title="A ladder")
    lid = (await service.create_listing(inst, alice, wanted)).listing.id
    done = await service.mark_done(inst, alice, lid, recipient=BOB)
    assert (done.listing.status, done.listing.reserved_for) == ("received", BOB)


async def test_withdraw_then_delete(oak: Node, alice: LocalActor) -> None:
    inst = oak.instance
    created = await service.create_listing(inst, alice, draft())
    lid = created.listing.id
    withdrawn = await service.withdraw(inst, alice, lid)
    assert withdrawn.activity["object"]["listingStatus"] == "withdrawn"
    deleted = await service.delete_listing(inst, alice, lid)
    activity = deleted.activity
    assert activity["type"] == "Delete" and activity["actor"] == "http://oak.test/users/alice"
    assert activity["object"] == {
        "id": lid,
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": "2026-05-01T10:00:02Z",
    }
    assert (activity["to"], activity["cc"]) == (
        created.activity["to"],
        created.activity["cc"],
    )
    assert await store.get(inst.db, lid) is None
    assert await store.get_document(inst.db, lid) == (activity["object"], True)
    with pytest.raises(NotFound):
        await service.delete_listing(inst, alice, lid)


async def test_expire_due_returns_updates_for_ours(
    oak: Node, alice: LocalActor, clock: FakeClock
) -> None:
    inst = oak.instance
    short = await service.create_listing(inst, alice, draft(expires="2026-05-03"))
    long = await service.create_listing(inst, alice, draft(title="Lamp"))
    remote = listing(
        id="http://elm.test/listings/1",
        origin="remote",
        author="http://elm.test/users/bob",
        expires=START + timedelta(days=1),
    )
    async with inst.db.transaction() as tx:
        await store.upsert(tx, remote, to_note(remote, "http://elm.test"))
    assert await service.expire_due(inst) == []
    clock.advance(days=3)
    changes = await service.expire_due(inst)
    assert [c.listing.id for c in changes] == [short.listing.id]
    (change,) = changes
    assert change.sender == alice and change.activity["type"] == "Update"
    note = change.activity["object"]
    assert note["listingStatus"] == "expired" and note["updated"] == "2026-05-04T10:00:00Z"
    assert "This listing is closed." in note["content"]
    assert await store.get_document(inst.db, short.listing.id) == (note, False)
    gone = await store.get(inst.db, remote.id)
    assert gone is not None and gone.status == "expired"
    still = await store.get(inst.db, long.listing.id)
    assert still is not None and still.status == "open"
    assert await service.expire_due(inst) == []
