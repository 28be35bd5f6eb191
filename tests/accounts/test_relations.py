"""Blocks and mutes: a block ends follows both ways and tells the blocked account's server;
a mute hides an account from the member alone, for a time or for good."""

from __future__ import annotations

import json

import pytest

from fedishare.accounts import relations
from fedishare.accounts.members import create_member
from fedishare.core.errors import Unprocessable
from fedishare.federation.actor_document import actor_id
from fedishare.follows.following import follow_actor
from fedishare.storage import account_relations, follows
from tests.clock import FakeClock
from tests.harness import Network, Node
from tests.waiting import eventually


async def _sent(node: Node, kind: str) -> list[dict[str, object]]:
    rows = await node.instance.db.fetch_all(
        "SELECT document FROM outbox_activities WHERE type = ? ORDER BY id", (kind,)
    )
    return [json.loads(r["document"]) for r in rows]


async def test_blocking_a_member_here_ends_follows_both_ways(node: Node) -> None:
    inst = node.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    carol = await create_member(inst.db, inst.clock, "carol")
    a, c = actor_id(inst.urls, alice), actor_id(inst.urls, carol)
    await follow_actor(inst, alice, c)
    await follow_actor(inst, carol, a)
    await relations.block(inst, alice, c)
    assert await follows.find(inst.db, a, c) is None
    assert await follows.find(inst.db, c, a) is None
    assert await account_relations.hidden_authors(inst.db, alice.id) == {c}
    assert await account_relations.hidden_authors(inst.db, carol.id) == set()
    [block] = await _sent(node, "Block")
    assert (block["actor"], block["object"]) == (a, c)
    await relations.block(inst, alice, c)  # again: nothing more
    assert len(await _sent(node, "Block")) == 1
    await relations.unblock(inst, alice, c)
    assert await account_relations.hidden_authors(inst.db, alice.id) == set()
    [undo] = [u for u in await _sent(node, "Undo") if u["object"]["type"] == "Block"]  # type: ignore[index]
    assert undo["object"]["id"] == block["id"]  # type: ignore[index]


async def test_nobody_blocks_or_mutes_themselves(node: Node) -> None:
    inst = node.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    with pytest.raises(Unprocessable):
        await relations.block(inst, alice, actor_id(inst.urls, alice))
    with pytest.raises(Unprocessable):
        await relations.mute(inst, alice, actor_id(inst.urls, alice))


async def test_a_mute_ends_when_its_time_is_up(oak: Node, clock: FakeClock) -> None:
    inst = oak.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    dan, eve = "https://elsewhere.test/users/dan", "https://elsewhere.test/users/eve"
    await relations.mute(inst, alice, dan, duration=3600)
    await relations.mute(inst, alice, eve, notifications=False)
    now = clock().timestamp()
    assert await account_relations.hidden_authors(inst.db, alice.id, now) == {dan, eve}
    muted = await account_relations.muted(inst.db, alice.id, [dan, eve], now)
    assert (muted[dan].notifications, muted[eve].notifications) == (True, False)
    clock.advance(hours=1, seconds=1)
    later = clock().timestamp()
    assert await account_relations.hidden_authors(inst.db, alice.id, later) == {eve}
    await relations.unmute(inst, alice, eve)
    assert await account_relations.hidden_authors(inst.db, alice.id, later) == set()
    assert await _sent(oak, "Block") == []  # mutes are told to nobody


async def test_a_block_of_another_servers_account_reaches_it(net: Network) -> None:
    oak, elm = await net.add("oak.test"), await net.add("elm.test")
    alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
    bob = await create_member(elm.instance.db, elm.instance.clock, "bob")
    a, b = actor_id(oak.instance.urls, alice), actor_id(elm.instance.urls, bob)
    await follow_actor(oak.instance, alice, b)
    await follow_actor(elm.instance, bob, a)

    async def both_accepted() -> bool:
        ours = await follows.find(oak.instance.db, a, b)
        theirs = await follows.find(elm.instance.db, b, a)
        return ours is not None and ours.state == theirs.state == "accepted"  # type: ignore[union-attr]

    await eventually(both_accepted)
    await relations.block(oak.instance, alice, b)

    async def elm_took_it() -> bool:
        kinds = await elm.instance.db.fetch_all(
            "SELECT body FROM inbox_items WHERE actor = ? AND state = 'processed'", (a,)
        )
        return any(json.loads(r["body"])["type"] == "Block" for r in kinds)

    await eventually(elm_took_it)

    async def follows_ended() -> bool:
        # Her follow undone, his refused; the Block itself ends both at elm, as Mastodon does.
        alices = await follows.find(elm.instance.db, a, b)
        bobs = await follows.find(elm.instance.db, b, a)
        return alices is None and (bobs is None or bobs.state == "rejected")

    await eventually(follows_ended)
    assert await follows.find(oak.instance.db, b, a) is None
