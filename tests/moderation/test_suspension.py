"""Suspending a member: their listings are deleted here and on the peer that had them, their
tokens end, their profile answers 410 to peers; lifting it lets them back in without the
listings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fedishare.accounts import suspension
from fedishare.accounts.members import create_member
from fedishare.core.errors import Invalid
from fedishare.listings import service
from fedishare.listings.suspension import suspend
from fedishare.storage import actors, tokens
from fedishare.storage import listings as listing_store
from fedishare.storage.actors import LocalActor
from tests.harness import Network, network
from tests.listings.factory import draft
from tests.moderation.moderation_support import arrives, following
from tests.waiting import eventually

AS = "application/activity+json"


async def test_a_suspended_members_listings_leave_the_peer_and_they_cannot_get_in(
    net: Network,
) -> None:
    oak, elm = await net.add("oak.test"), await net.add("elm.test")
    ada = await create_member(oak.instance.db, oak.instance.clock, "ada", role="admin")
    alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
    bob = await create_member(elm.instance.db, elm.instance.clock, "bob")
    await following(elm, bob, "http://oak.test/users/alice")
    bike = (await service.create_listing(oak.instance, alice, draft(title="Bike"))).listing
    lamp = (await service.create_listing(oak.instance, alice, draft(title="Lamp"))).listing
    await arrives(elm, bike.id)
    await arrives(elm, lamp.id)
    token = await tokens.issue(oak.instance.db, alice.id, datetime.now(UTC))

    for name, expected in [
        ("ada", "username: you cannot suspend your own account"),
        ("nobody", "username: no member has this name"),
    ]:
        with pytest.raises(Invalid) as refused:
            await suspend(oak.instance, name, "", ada)
        assert refused.value.reason == expected

    assert await suspend(oak.instance, "@alice", "scams", ada) == 2

    async def gone_from_elm() -> bool:
        db = elm.instance.db
        return (
            await listing_store.get(db, bike.id) is None
            and await listing_store.get(db, lamp.id) is None
        )

    await eventually(gone_from_elm)
    assert await tokens.actor_for(oak.instance.db, token) is None
    profile = await net.client().get("http://oak.test/users/alice", headers={"Accept": AS})
    assert profile.status_code == 410
    # Suspending again finds nothing left to withdraw, and keeps the first suspension.
    assert await suspend(oak.instance, "alice", "again", ada) == 0
    [(member, entry)] = await suspension.suspensions(oak.instance)
    assert (member.username, entry.reason, entry.created_by) == ("alice", "scams", ada.id)

    await suspension.unsuspend(oak.instance, "alice")
    back = await actors.find_by_username(oak.instance.db, "alice")
    assert back is not None and not back.disabled
    profile = await net.client().get("http://oak.test/users/alice", headers={"Accept": AS})
    assert profile.status_code == 200
    assert await listing_store.get(oak.instance.db, bike.id) is None  # not brought back
    assert await suspension.suspensions(oak.instance) == []


async def crashed_midway(net: Network) -> tuple[list[str], LocalActor]:
    """oak's alice with three listings, suspended by an admin, and the process gone before
    the second of them was withdrawn (the suspension committed, one listing deleted)."""
    oak = await net.add("oak.test")
    ada = await create_member(oak.instance.db, oak.instance.clock, "ada", role="admin")
    alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
    ids = [
        (await service.create_listing(oak.instance, alice, draft(title=t))).listing.id
        for t in ("Bike", "Lamp", "Mug")
    ]
    member, new = await suspension.suspend(oak.instance, "alice", "scams", ada)
    assert new
    await service.delete_listing(oak.instance, member, ids[0])
    return ids, ada


async def live(net: Network, ids: list[str]) -> list[str]:
    db = net.nodes["oak.test"].instance.db
    return [i for i in ids if await listing_store.get(db, i) is not None]


async def test_suspending_again_withdraws_what_a_crash_left(net: Network) -> None:
    ids, ada = await crashed_midway(net)
    assert len(await live(net, ids)) == 2
    assert await suspend(net.nodes["oak.test"].instance, "alice", "", ada) == 2
    assert await live(net, ids) == []
    [(_, entry)] = await suspension.suspensions(net.nodes["oak.test"].instance)
    assert entry.reason == "scams"


async def test_a_restart_finishes_an_interrupted_withdrawal(tmp_path: Path) -> None:
    async with network(tmp_path) as net:
        ids, _ = await crashed_midway(net)
        assert len(await live(net, ids)) == 2
    async with network(tmp_path) as net:  # oak starts again
        await net.add("oak.test")
        assert await live(net, ids) == []
        db = net.nodes["oak.test"].instance.db
        deleted = await db.fetch_all(
            "SELECT object_id FROM outbox_activities WHERE type = 'Delete'"
        )
        assert sorted(r[0] for r in deleted) == sorted(
            ids
        )  # each one's Delete is queued for the peers
