"""Suspending a member: their listings are deleted here and on the peer that had them, their
tokens end, their profile answers 410 to peers; lifting it lets them back in without the
listings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fedishare.accounts import suspension
from fedishare.accounts.members import create_member
from fedishare.core.errors import Invalid
from fedishare.listings import service
from fedishare.listings.suspension import suspend
from fedishare.storage import actors, tokens
from fedishare.storage import listings as listing_store
from tests.harness import Network
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
    with pytest.raises(Invalid) as again:
        await suspend(oak.instance, "alice", "", ada)
    assert again.value.reason == "username: suspended already"
    [(member, entry)] = await suspension.suspensions(oak.instance)
    assert (member.username, entry.reason, entry.created_by) == ("alice", "scams", ada.id)

    await suspension.unsuspend(oak.instance, "alice")
    back = await actors.find_by_username(oak.instance.db, "alice")
    assert back is not None and not back.disabled
    profile = await net.client().get("http://oak.test/users/alice", headers={"Accept": AS})
    assert profile.status_code == 200
    assert await listing_store.get(oak.instance.db, bike.id) is None  # not brought back
    assert await suspension.suspensions(oak.instance) == []
