"""Follow, Accept, Reject and Undo(Follow) as the inbox worker hands them over."""

from __future__ import annotations

import pytest

from fedishare.accounts.members import set_member_disabled
from fedishare.core.types import JSON
from fedishare.follows.followers import approve_follow, reject_follow
from fedishare.follows.following import follow_actor
from fedishare.inbox.item import Rejected
from fedishare.storage import follows
from tests.harness import Network
from tests.inbox.handler_support import ELM, OAK, fixture, member, pair, published, receive

BOB = f"{ELM}/users/bob"


def follow_of(target: str, follow_id: str = f"{ELM}/follows/1") -> JSON:
    return fixture(
        "mastodon_follow_1.json",
        {
            "https://example.com/mastodon_follow_1.json": follow_id,
            "https://example.com/users/JohnMastodon": BOB,
            "https://my_domain/activitypub/user": target,
        },
    )


async def test_a_follow_of_an_unlocked_member_is_accepted(net: Network) -> None:
    a, b = await pair(net)
    alice = await member(a, "alice")
    await member(b, "bob")
    follow = follow_of(f"{OAK}/users/alice")
    await receive(a, follow, recipient=alice.id)
    await receive(a, follow, recipient=alice.id)  # a second run after a crash changes nothing

    stored = await follows.find(a.instance.db, BOB, f"{OAK}/users/alice")
    assert stored is not None and stored.state == "accepted"
    assert stored.activity_id == follow["id"]
    [accept] = await published(a, "Accept")
    assert accept.actor_id == alice.id and accept.inboxes == [f"{BOB}/inbox"]
    assert accept.activity["actor"] == f"{OAK}/users/alice"
    assert accept.activity["object"] == {
        "id": follow["id"],
        "type": "Follow",
        "actor": BOB,
        "object": f"{OAK}/users/alice",
    }
    assert accept.activity["id"].startswith(f"{OAK}/activities/")


async def test_the_community_group_accepts_and_a_repeated_follow_is_accepted_again(
    net: Network,
) -> None:
    a, b = await pair(net)
    await member(b, "bob")
    group = f"{OAK}/users/community"
    await receive(a, follow_of(group, f"{ELM}/follows/1"))
    await receive(a, follow_of(group, f"{ELM}/follows/2"))

    stored = await follows.find(a.instance.db, BOB, group)
    assert stored is not None and stored.state == "accepted"
    assert stored.activity_id == f"{ELM}/follows/2"
    accepts = await published(a, "Accept")
    assert [p.activity["object"]["id"] for p in accepts] == [
        f"{ELM}/follows/1",
        f"{ELM}/follows/2",
    ]
    assert await follows.followers(a.instance.db, group, limit=10) == [BOB]


async def test_a_locked_member_approves_or_rejects_by_hand(net: Network) -> None:
    a, b = await pair(net)
    carol = await member(a, "carol", locked=True)
    await member(b, "bob")
    await member(b, "dan")
    carol_id = f"{OAK}/users/carol"
    await receive(a, follow_of(carol_id))
    stored = await follows.find(a.instance.db, BOB, carol_id)
    assert stored is not None and stored.state == "pending"
    assert await published(a, "Accept") == []

    assert await approve_follow(a.instance, carol, BOB)
    assert not await approve_follow(a.instance, carol, BOB)  # nothing pending any more
    stored = await follows.find(a.instance.db, BOB, carol_id)
    assert stored is not None and stored.state == "accepted"
    [accept] = await published(a, "Accept")
    assert accept.activity["object"]["id"] == f"{ELM}/follows/1"
    assert accept.inboxes == [f"{BOB}/inbox"]

    dan = f"{ELM}/users/dan"
    await receive(a, {**follow_of(carol_id, f"{ELM}/follows/9"), "actor": dan})
    assert await reject_follow(a.instance, carol, dan)
    assert not await reject_follow(a.instance, carol, dan)
    stored = await follows.find(a.instance.db, dan, carol_id)
    assert stored is not None and stored.state == "rejected"
    [reject] = await published(a, "Reject")
    assert reject.activity["object"] == {
        "id": f"{ELM}/follows/9",
        "type": "Follow",
        "actor": dan,
        "object": carol_id,
    }
    assert reject.inboxes == [f"{dan}/inbox"]
    assert await follows.followers(a.instance.db, carol_id, limit=10) == [BOB]


async def test_the_instance_actor_rejects_follows(net: Network) -> None:
    a, b = await pair(net)
    await member(b, "bob")
    await receive(a, follow_of(f"{OAK}/actor"))
    assert await follows.find(a.instance.db, BOB, f"{OAK}/actor") is None
    [reject] = await published(a, "Reject")
    assert reject.activity["actor"] == f"{OAK}/actor"
    assert reject.activity["object"]["id"] == f"{ELM}/follows/1"
    assert reject.inboxes == [f"{BOB}/inbox"]


async def test_a_follow_of_nobody_here_is_refused(net: Network) -> None:
    a, _ = await pair(net)
    with pytest.raises(Rejected):
        await receive(a, follow_of(f"{OAK}/users/nobody"))
    with pytest.raises(Rejected):
        await receive(a, follow_of(f"{ELM}/users/someone"))


async def test_undo_follow_only_by_the_follower(net: Network) -> None:
    a, b = await pair(net)
    await member(a, "alice")
    await member(b, "bob")
    alice = f"{OAK}/users/alice"
    follow = follow_of(alice)
    await receive(a, follow)
    undo = {"id": f"{ELM}/undo/1", "type": "Undo", "object": follow}
    await receive(a, {**undo, "actor": f"{ELM}/users/mallory"})
    assert await follows.find(a.instance.db, BOB, alice) is not None
    await receive(a, {**undo, "actor": BOB})
    await receive(a, {**undo, "actor": BOB})
    assert await follows.find(a.instance.db, BOB, alice) is None

    await receive(a, follow)  # and by the Follow's bare id
    await receive(a, {"id": f"{ELM}/undo/2", "type": "Undo", "actor": BOB, "object": follow["id"]})
    assert await follows.find(a.instance.db, BOB, alice) is None


async def test_answers_to_our_follows(net: Network) -> None:
    a, b = await pair(net)
    alice = await member(a, "alice")
    await member(b, "bob")
    await member(b, "erin")
    me = f"{OAK}/users/alice"
    sent = await follow_actor(a.instance, alice, BOB)
    pending = await follows.find(a.instance.db, me, BOB)
    assert pending is not None and pending.state == "pending"

    embedded = {"id": sent["id"], "type": "Follow", "actor": me, "object": BOB}
    accept = {"id": f"{ELM}/accept/1", "type": "Accept", "object": embedded}
    await receive(a, {**accept, "actor": f"{ELM}/users/erin"})  # not the followee: ignored
    pending = await follows.find(a.instance.db, me, BOB)
    assert pending is not None and pending.state == "pending"
    await receive(a, {**accept, "actor": BOB})
    accepted = await follows.find(a.instance.db, me, BOB)
    assert accepted is not None and accepted.state == "accepted"

    # Mastodon may answer with an id of its own making: actor + object still match.
    erin = f"{ELM}/users/erin"
    await follow_actor(a.instance, alice, erin)
    other = {"id": f"{ELM}/follows/x", "type": "Follow", "actor": me, "object": erin}
    await receive(a, {"id": f"{ELM}/reject/1", "type": "Reject", "actor": erin, "object": other})
    rejected = await follows.find(a.instance.db, me, erin)
    assert rejected is not None and rejected.state == "rejected"
    late = {"id": f"{ELM}/accept/2", "type": "Accept", "actor": erin, "object": other}
    await receive(a, late)
    still = await follows.find(a.instance.db, me, erin)
    assert still is not None and still.state == "rejected"


async def test_a_follow_round_trip_between_two_nodes(net: Network) -> None:
    """Node A's Follow handled by node B, and B's Accept handled by A."""
    a, b = await pair(net)
    alice = await member(a, "alice")
    bob = await member(b, "bob")
    sent = await follow_actor(a.instance, alice, BOB)
    [queued] = await published(a, "Follow")
    assert queued.activity == sent and queued.inboxes == [f"{BOB}/inbox"]

    await receive(b, sent, recipient=bob.id)
    [accept] = await published(b, "Accept")
    assert accept.inboxes == [f"{OAK}/users/alice/inbox"]
    await receive(a, accept.activity)
    stored = await follows.find(a.instance.db, f"{OAK}/users/alice", BOB)
    assert stored is not None and stored.state == "accepted"
    assert await follows.followers(b.instance.db, BOB, limit=10) == [f"{OAK}/users/alice"]


async def test_a_disabled_member_rejects_follows(net: Network) -> None:
    a, b = await pair(net)
    await member(a, "fay")
    await member(b, "bob")
    await set_member_disabled(a.instance.db, "fay", True)
    await receive(a, follow_of(f"{OAK}/users/fay"))
    assert await follows.find(a.instance.db, BOB, f"{OAK}/users/fay") is None
    [reject] = await published(a, "Reject")
    assert reject.activity["actor"] == f"{OAK}/users/fay" and reject.inboxes == [f"{BOB}/inbox"]
