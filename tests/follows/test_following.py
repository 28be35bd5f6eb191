"""Our members following and unfollowing actors of other servers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fedishare.follows.followers import approve_follow
from fedishare.follows.following import FollowError, follow_actor, unfollow_actor
from fedishare.storage import follows
from tests.harness import Network
from tests.inbox.handler_support import ELM, OAK, member, pair, published, receive

BOB = f"{ELM}/users/bob"
ALICE = f"{OAK}/users/alice"


async def test_follow_records_a_pending_follow_and_queues_the_follow(net: Network) -> None:
    a, b = await pair(net)
    alice = await member(a, "alice")
    await member(b, "bob")
    sent = await follow_actor(a.instance, alice, BOB)
    assert sent["type"] == "Follow" and sent["actor"] == ALICE and sent["object"] == BOB
    assert sent["id"].startswith(f"{OAK}/activities/")
    stored = await follows.find(a.instance.db, ALICE, BOB)
    assert stored is not None and stored.state == "pending" and stored.activity_id == sent["id"]
    [queued] = await published(a, "Follow")
    assert queued.activity == sent and queued.actor_id == alice.id
    assert queued.inboxes == [f"{BOB}/inbox"]

    again = await follow_actor(a.instance, alice, BOB)  # a new Follow, a new id
    assert again["id"] != sent["id"]
    stored = await follows.find(a.instance.db, ALICE, BOB)
    assert stored is not None and stored.activity_id == again["id"]


async def test_unfollow_undoes_the_follow_it_sent(net: Network) -> None:
    a, b = await pair(net)
    alice = await member(a, "alice")
    bob = await member(b, "bob")
    sent = await follow_actor(a.instance, alice, BOB)
    await receive(b, sent, recipient=bob.id)
    assert await follows.followers(b.instance.db, BOB, limit=10) == [ALICE]

    undo = await unfollow_actor(a.instance, alice, BOB)
    assert undo is not None and undo["type"] == "Undo" and undo["actor"] == ALICE
    assert undo["object"] == {"id": sent["id"], "type": "Follow", "actor": ALICE, "object": BOB}
    assert await follows.find(a.instance.db, ALICE, BOB) is None
    [queued] = await published(a, "Undo")
    assert queued.activity == undo and queued.inboxes == [f"{BOB}/inbox"]
    assert await unfollow_actor(a.instance, alice, BOB) is None

    await receive(b, undo)  # what bob's server does with it
    assert await follows.followers(b.instance.db, BOB, limit=10) == []


async def test_follows_within_the_instance_are_recorded_directly(net: Network) -> None:
    a, _ = await pair(net)
    alice = await member(a, "alice")
    carol = await member(a, "carol", locked=True)
    group = f"{OAK}/users/community"
    await follow_actor(a.instance, alice, group)
    assert await follows.followers(a.instance.db, group, limit=10) == [ALICE]

    carol_id = f"{OAK}/users/carol"
    await follow_actor(a.instance, alice, carol_id)
    pending = await follows.find(a.instance.db, ALICE, carol_id)
    assert pending is not None and pending.state == "pending"
    assert await approve_follow(a.instance, carol, ALICE)
    assert await follows.followers(a.instance.db, carol_id, limit=10) == [ALICE]
    assert await published(a, "Accept") == []

    assert await unfollow_actor(a.instance, alice, group) is not None
    assert await follows.followers(a.instance.db, group, limit=10) == []
    sent = await published(a, "Follow") + await published(a, "Undo")
    assert len(sent) == 3 and all(p.inboxes == [] for p in sent)


async def test_following_oneself_nobody_or_as_the_instance_is_refused(net: Network) -> None:
    a, _ = await pair(net)
    alice = await member(a, "alice")
    for target in [ALICE, f"{OAK}/users/nobody", f"{OAK}/actor"]:
        with pytest.raises(FollowError):
            await follow_actor(a.instance, alice, target)
    with pytest.raises(FollowError):
        await follow_actor(a.instance, replace(alice, kind="application"), BOB)
    assert await published(a, "Follow") == []
