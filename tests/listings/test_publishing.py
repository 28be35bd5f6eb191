"""Each listing change is stored and queued for delivery in one transaction: the author's
activity to the author's followers, the community Group's Announce to the Group's."""

from __future__ import annotations

import json

import pytest

from fedishare.accounts.members import create_member
from fedishare.core.activitystreams import PUBLIC
from fedishare.core.types import JSON
from fedishare.listings import publishing, service
from fedishare.storage import follows, remote_actors
from fedishare.storage import listings as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.remote_actors import RemoteActor
from tests.clock import FakeClock
from tests.harness import Node
from tests.listings.factory import draft, stay_draft

OAK = "http://oak.test"
GROUP = f"{OAK}/users/community"
ALICE = f"{OAK}/users/alice"


@pytest.fixture
async def alice(oak: Node) -> LocalActor:
    inst = oak.instance
    actor = await create_member(inst.db, inst.clock, "alice")
    async with inst.db.transaction() as tx:
        for name, followee in [("fan", ALICE), ("peer", GROUP)]:
            actor_id = f"http://{name}.test/users/{name}"
            remote = RemoteActor(
                actor_id, f"{name}.test", "Person", name, name, f"{actor_id}/inbox",
                f"http://{name}.test/inbox", None, f"{actor_id}#main-key", "", 0.0,
            )  # fmt: skip
            await remote_actors.upsert(tx, remote, {})
            await follows.upsert(tx, actor_id, followee, f"{actor_id}/follow", "accepted", "t")
    return actor


async def sent(oak: Node) -> list[tuple[JSON, list[str]]]:
    """Every activity published, with the inboxes it is queued for, oldest first."""
    db = oak.instance.db
    rows = await db.fetch_all("SELECT id, document FROM outbox_activities ORDER BY id")
    out = []
    for row in rows:
        inboxes = await db.fetch_all(
            "SELECT inbox FROM deliveries WHERE activity_rowid = ? ORDER BY inbox", (row["id"],)
        )
        out.append((json.loads(row["document"]), [r["inbox"] for r in inboxes]))
    return out


async def test_a_new_listing_is_created_for_followers_and_announced_by_the_group(
    oak: Node, alice: LocalActor
) -> None:
    change = await service.create_listing(oak.instance, alice, draft())
    lid = change.listing.id
    (create, to_fans), (announce, to_peers) = await sent(oak)
    assert create == change.activity and to_fans == ["http://fan.test/inbox"]
    assert to_peers == ["http://peer.test/inbox"]
    assert announce == {
        "@context": announce["@context"],
        "id": publishing.announce_id(OAK, lid, change.listing.published),
        "type": "Announce",
        "actor": GROUP,
        "published": "2026-05-01T10:00:00Z",
        "to": [PUBLIC],
        "cc": [f"{GROUP}/followers"],
        "object": lid,
    }


async def test_changes_are_announced_as_activities(oak: Node, alice: LocalActor) -> None:
    inst = oak.instance
    lid = (await service.create_listing(inst, alice, draft())).listing.id
    reserved = await service.reserve(inst, alice, lid, "http://fan.test/users/fan")
    deleted = await service.delete_listing(inst, alice, lid)
    published = await sent(oak)
    assert [a["type"] for a, _ in published] == [
        "Create", "Announce", "Update", "Announce", "Delete", "Announce",
    ]  # fmt: skip
    update_announce, delete_announce = published[3][0], published[5][0]
    embedded = {k: v for k, v in reserved.activity.items() if k != "@context"}
    embedded["object"] = {k: v for k, v in embedded["object"].items() if k != "@context"}
    assert update_announce["object"] == embedded
    assert update_announce["id"] == publishing.announce_id(OAK, lid, reserved.listing.updated)
    assert delete_announce["object"]["type"] == "Delete"
    assert delete_announce["object"]["object"] == deleted.activity["object"]
    assert delete_announce["published"] == deleted.activity["object"]["deleted"]
    assert all(inboxes == ["http://peer.test/inbox"] for a, inboxes in published[1::2])


async def test_stays_are_announced_unlisted_and_followers_only_ones_not_at_all(
    oak: Node, alice: LocalActor
) -> None:
    inst = oak.instance
    await service.create_listing(inst, alice, stay_draft())
    await service.create_listing(inst, alice, stay_draft(visibility="followers"))
    published = await sent(oak)
    assert [a["type"] for a, _ in published] == ["Create", "Announce", "Create"]
    announce = published[1][0]
    assert (announce["to"], announce["cc"]) == ([f"{GROUP}/followers"], [PUBLIC])


async def test_queueing_again_publishes_nothing_twice(oak: Node, alice: LocalActor) -> None:
    inst = oak.instance
    change = await service.create_listing(inst, alice, draft())
    async with inst.db.transaction() as tx:
        await publishing.queue_change(tx, inst, alice, change.listing, change.activity)
    assert len(await sent(oak)) == 2


async def test_a_change_that_cannot_be_queued_is_not_stored(
    oak: Node, alice: LocalActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(publishing, "queue_publication", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        await service.create_listing(oak.instance, alice, draft())
    assert await oak.instance.db.fetch_value("SELECT count(*) FROM listings") == 0
    assert await sent(oak) == []


async def test_an_expiry_is_published_with_it(
    oak: Node, alice: LocalActor, clock: FakeClock
) -> None:
    inst = oak.instance
    short = await service.create_listing(inst, alice, draft(expires="2026-05-03"))
    clock.advance(days=3)
    (change,) = await service.expire_due(inst)
    assert await service.expire_due(inst) == []
    published = await sent(oak)
    assert [a["type"] for a, _ in published] == ["Create", "Announce", "Update", "Announce"]
    assert published[2][0] == change.activity
    assert published[3][0]["object"]["object"]["listingStatus"] == "expired"
    stored = await store.get(inst.db, short.listing.id)
    assert stored is not None and stored.status == "expired"
