"""A Block from a Mastodon account: the follows between it and our member end both ways
(Mastodon sends only the Block); a member's own block refuses that account's Follows."""

from __future__ import annotations

from fedishare.accounts.members import create_member
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.storage import account_relations, follows
from tests.harness import Network
from tests.mastodon_peer import MastodonPeer, rsa_key
from tests.waiting import eventually


async def test_a_block_ends_follows_both_ways_and_a_blocked_follow_is_refused(
    net: Network,
) -> None:
    oak = await net.add("oak.test")
    inst = oak.instance
    peer = MastodonPeer.on(net, "mastodon.test")
    zed = peer.add("zed", rsa_key(1))
    alice = await create_member(inst.db, inst.clock, "alice")
    alice_id = actor_id(inst.urls, alice)
    now = inst.clock().isoformat()
    async with inst.db.transaction() as tx:
        await follows.upsert(tx, alice_id, zed, "http://oak.test/f/1", "accepted", now)
        await follows.upsert(tx, zed, alice_id, f"{zed}#follows/1", "accepted", now)

    async def send(activity: JSON) -> None:
        body, headers = peer.signed_post("zed", "http://oak.test/inbox", activity, now=inst.clock())
        async with net.client() as client:
            r = await client.post("http://oak.test/inbox", content=body, headers=headers)
        assert r.status_code == 202, r.text

    async def processed(activity_id: str) -> bool:
        state = await inst.db.fetch_value(
            "SELECT state FROM inbox_items WHERE activity_id = ?", (activity_id,)
        )
        return state == "processed"

    await send({"id": f"{zed}#blocks/1", "type": "Block", "actor": zed, "object": alice_id})
    await eventually(lambda: processed(f"{zed}#blocks/1"))
    assert await follows.find(inst.db, alice_id, zed) is None
    assert await follows.find(inst.db, zed, alice_id) is None

    async with inst.db.transaction() as tx:
        await account_relations.add_block(tx, alice.id, zed, "http://oak.test/b/1", 0.0)
    await send({"id": f"{zed}#follows/2", "type": "Follow", "actor": zed, "object": alice_id})
    await eventually(lambda: processed(f"{zed}#follows/2"))
    assert await follows.find(inst.db, zed, alice_id) is None
