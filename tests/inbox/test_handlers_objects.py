"""Create (replies and posts addressed to us), Update and Delete of objects."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fedishare.core.activitystreams import PUBLIC
from fedishare.inbox.item import Rejected
from fedishare.storage import follows, objects
from fedishare.storage.objects import StoredObject
from tests.harness import Network, Node
from tests.inbox.handler_support import ELM, OAK, fixture, local_note, member, pair, receive

BOB = f"{ELM}/users/bob"
NOTE = f"{BOB}/statuses/9876"
FLOW_1 = {"https://mastodon/users/john": BOB}
FLOW_2 = {"https://mastodon/users/remote-user": BOB}


async def stored(node: Node, object_id: str) -> StoredObject | None:
    return await objects.get(node.instance.db, object_id)


def create(**changes: Any) -> dict[str, Any]:
    activity = fixture("mastodon_flow_1_create_note.json", FLOW_1)
    activity["object"].update(changes)
    return activity


async def test_a_public_post_unrelated_to_us_is_dropped(net: Network) -> None:
    a, _ = await pair(net)
    await member(a, "alice")
    await receive(a, create())
    assert await stored(a, NOTE) is None


async def test_a_reply_to_our_object_is_kept(net: Network) -> None:
    a, _ = await pair(net)
    note = await local_note(a, await member(a, "alice"))
    await receive(a, create(inReplyTo=note))
    await receive(a, create(inReplyTo=note))
    reply = await stored(a, NOTE)
    assert reply is not None and reply.in_reply_to == note
    assert reply.attributed_to == BOB and not reply.is_local and not reply.deleted
    assert reply.document["content"] == "<p>Creating Test Data!!! :)</p>"
    assert reply.published == "2023-02-04T08:52:55Z"


@pytest.mark.parametrize(
    "changes",
    [
        {"cc": [f"{OAK}/users/alice"]},
        {"to": [f"{OAK}/users/community"]},
        {"tag": [{"type": "Mention", "href": f"{OAK}/users/alice", "name": "@alice@oak.test"}]},
    ],
)
async def test_a_post_addressed_to_or_mentioning_a_member_is_kept(
    net: Network, changes: dict[str, Any]
) -> None:
    a, _ = await pair(net)
    await member(a, "alice")
    await receive(a, create(**changes))
    assert await stored(a, NOTE) is not None


async def test_other_types_and_addressing_only_the_instance_are_dropped(net: Network) -> None:
    a, _ = await pair(net)
    note = await local_note(a, await member(a, "alice"))
    await receive(a, create(type="Proposal", inReplyTo=note))
    await receive(a, create(to=[f"{OAK}/actor", PUBLIC]))
    await receive(a, create(cc=[f"{OAK}/users/nobody"]))
    assert await stored(a, NOTE) is None


async def test_an_object_on_another_host_than_its_actor_is_not_fetched(net: Network) -> None:
    a, b = await pair(net)
    pine = await net.add("pine.test")
    alice = await member(a, "alice")
    await member(b, "bob")
    reply_to = await local_note(a, alice)
    # Bob names a post whose id is on pine.test, which serves it as a reply to ours: an
    # actor speaks only of its own server's objects (the inbox refuses such a Create; a
    # stored one is not acted on either), so pine.test is not asked and nothing is kept.
    origin = await local_note(pine, await member(pine, "paula"), "objects/p1")
    await _set_field(pine, origin, "inReplyTo", reply_to)
    forged = {
        "id": origin,
        "type": "Note",
        "attributedTo": BOB,
        "content": "<p>forged</p>",
        "inReplyTo": reply_to,
    }
    await receive(a, {"id": f"{ELM}/c/1", "type": "Create", "actor": BOB, "object": forged})
    assert await stored(a, origin) is None
    await receive(a, {"id": f"{ELM}/c/2", "type": "Create", "actor": BOB, "object": origin})
    assert await stored(a, origin) is None


async def test_a_boost_is_fetched_from_its_origin_and_kept_only_if_at_home_there(
    net: Network,
) -> None:
    a, b = await pair(net)
    pine = await net.add("pine.test")
    await member(a, "alice")
    await member(b, "bob")
    async with a.instance.db.transaction() as tx:
        await follows.upsert(tx, f"{OAK}/users/alice", BOB, f"{OAK}/f/1", "accepted", "now")
    # An Announce names another's object by nature: it is fetched from its own origin, and
    # what the boost carries is not taken (the origin says who wrote it, and what).
    origin = await local_note(pine, await member(pine, "paula"), "objects/p1")
    boosted = {"id": origin, "type": "Note", "attributedTo": BOB, "content": "<p>forged</p>"}
    await receive(a, {"id": f"{ELM}/b/1", "type": "Announce", "actor": BOB, "object": boosted})
    kept = await stored(a, origin)
    assert kept is not None and kept.attributed_to == "http://pine.test/users/paula"
    assert kept.document["content"] == "<p>Ladder to lend</p>"
    # Served at its origin but attributed to another host there: not kept.
    foreign = await local_note(pine, await member(pine, "quinn"), "objects/p2")
    await _set_field(pine, foreign, "attributedTo", BOB)
    await receive(a, {"id": f"{ELM}/b/2", "type": "Announce", "actor": BOB, "object": foreign})
    assert await stored(a, foreign) is None


async def test_an_update_applies_only_when_newer_and_only_by_the_author(net: Network) -> None:
    a, _ = await pair(net)
    await member(a, "alice")
    await receive(a, create(cc=[f"{OAK}/users/alice"]))
    update = fixture("mastodon_flow_1_update_note.json", FLOW_1)
    update["object"]["cc"] = [f"{OAK}/users/alice"]

    with pytest.raises(Rejected):
        await receive(a, {**update, "actor": f"{ELM}/users/mallory"})
    stale = {**update["object"], "updated": "2023-02-04T08:52:55Z", "content": "<p>old</p>"}
    await receive(a, {**update, "object": stale})
    undated = {k: v for k, v in update["object"].items() if k != "updated"}
    await receive(a, {**update, "object": undated})
    before = await stored(a, NOTE)
    assert before is not None and before.updated is None
    assert before.document["content"] == "<p>Creating Test Data!!! :)</p>"

    await receive(a, update)
    await receive(a, update)
    after = await stored(a, NOTE)
    assert after is not None and after.updated == "2023-02-04T08:54:15Z"
    assert after.document["content"] == "<p>Creating Test Data!!! :)</p><p>By updating it 🆕</p>"


async def test_an_update_of_an_unknown_object_is_ignored(net: Network) -> None:
    a, _ = await pair(net)
    await receive(a, fixture("mastodon_flow_1_update_note.json", FLOW_1))
    assert await stored(a, NOTE) is None


async def test_a_delete_leaves_a_tombstone_and_the_id_is_never_reused(net: Network) -> None:
    a, _ = await pair(net)
    note = await local_note(a, await member(a, "alice"))
    created = fixture("mastodon_flow_2_create_note.json", FLOW_2)
    created["object"]["inReplyTo"] = note
    object_id = created["object"]["id"]
    await receive(a, created)
    assert await stored(a, object_id) is not None

    delete = fixture("mastodon_flow_2_delete_note.json", FLOW_2)
    with pytest.raises(Rejected):
        await receive(a, {**delete, "actor": f"{ELM}/users/mallory"})
    await receive(a, delete)
    await receive(a, delete)
    gone = await stored(a, object_id)
    assert gone is not None and gone.deleted and gone.in_reply_to is None
    assert gone.document["type"] == "Tombstone" and gone.document["id"] == object_id
    assert "content" not in gone.document

    await receive(a, created)  # a late or replayed Create does not bring it back
    await receive(a, fixture("mastodon_flow_1_update_note.json", FLOW_1))
    again = await stored(a, object_id)
    assert again is not None and again.deleted and again.document["type"] == "Tombstone"


async def test_our_own_objects_cannot_be_deleted_or_replaced_from_outside(net: Network) -> None:
    a, _ = await pair(net)
    note = await local_note(a, await member(a, "alice"))
    with pytest.raises(Rejected):
        await receive(a, {"id": f"{ELM}/d/1", "type": "Delete", "actor": BOB, "object": note})
    forged = {"id": note, "type": "Note", "attributedTo": BOB, "to": [f"{OAK}/users/alice"]}
    await receive(a, {"id": f"{ELM}/c/1", "type": "Create", "actor": BOB, "object": forged})
    ours = await stored(a, note)
    assert ours is not None and ours.is_local and not ours.deleted
    assert ours.document["content"] == "<p>Ladder to lend</p>"


async def _set_field(node: Node, object_id: str, name: str, value: str) -> None:
    """Change one field of a stored object's document, as its server then serves it."""
    async with node.instance.db.transaction() as tx:
        text = await tx.fetch_value("SELECT document FROM objects WHERE id = ?", (object_id,))
        document = json.loads(text)
        document[name] = value
        await tx.execute(
            "UPDATE objects SET document = ? WHERE id = ?", (json.dumps(document), object_id)
        )
