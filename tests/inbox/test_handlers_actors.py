"""Update and Delete of a remote actor itself."""

from __future__ import annotations

import pytest

from fedishare.follows.following import follow_actor
from fedishare.inbox.item import Rejected
from fedishare.remote.actors import get_remote_actor
from fedishare.storage import actors, follows, objects, reactions, remote_actors
from tests.harness import Network
from tests.inbox.handler_support import ELM, OAK, fixture, local_note, member, pair, receive

BOB = f"{ELM}/users/bob"


async def test_an_update_refreshes_the_actor_from_its_server(net: Network) -> None:
    a, b = await pair(net)
    bob = await member(b, "bob")
    before = await get_remote_actor(a.instance, BOB)
    assert before.name == "bob"
    async with b.instance.db.transaction() as tx:
        await actors.update_profile(tx, bob.id, display_name="Bob B.", summary="hi")
    # The embedded document is not what counts: the actor's server is asked again.
    doc = {"id": BOB, "type": "Person", "name": "Forged", "inbox": "http://evil.test/inbox"}
    await receive(a, {"id": f"{BOB}#updates/1", "type": "Update", "actor": BOB, "object": doc})
    after = await remote_actors.get(a.instance.db, BOB)
    assert after is not None and after.name == "Bob B." and after.inbox == f"{BOB}/inbox"


async def test_an_actor_cannot_update_another(net: Network) -> None:
    a, _ = await pair(net)
    other = {"id": f"{ELM}/users/erin", "type": "Person", "name": "Erin?"}
    with pytest.raises(Rejected):
        await receive(a, {"id": f"{BOB}#u", "type": "Update", "actor": BOB, "object": other})


async def test_a_deleted_actor_leaves_nothing_behind(net: Network) -> None:
    a, b = await pair(net)
    alice = await member(a, "alice")
    await member(b, "bob")
    await member(b, "erin")
    me = f"{OAK}/users/alice"
    await follow_actor(a.instance, alice, BOB)
    await follow_actor(a.instance, alice, f"{ELM}/users/erin")
    await receive(a, {"id": f"{BOB}/f/1", "type": "Follow", "actor": BOB, "object": me})
    note = await local_note(a, alice)
    await receive(a, {"id": f"{BOB}#likes/1", "type": "Like", "actor": BOB, "object": note})
    reply = {
        "id": f"{BOB}/statuses/1",
        "type": "Note",
        "attributedTo": BOB,
        "inReplyTo": note,
        "content": "<p>yes please</p>",
    }
    await receive(
        a, {"id": f"{BOB}/statuses/1/activity", "type": "Create", "actor": BOB, "object": reply}
    )
    assert await objects.get(a.instance.db, reply["id"]) is not None

    delete = fixture("mastodon_delete_actor_1.json", {"https://mastodon/users/Alice": BOB})
    await receive(a, delete)
    await receive(a, delete)  # again, after a crash: nothing left to do, no error

    db = a.instance.db
    assert await follows.find(db, me, BOB) is None and await follows.find(db, BOB, me) is None
    assert await follows.find(db, me, f"{ELM}/users/erin") is not None
    assert await reactions.find(db, "Like", BOB, note) is None
    liked = await objects.get(db, note)
    assert liked is not None and liked.likes == 0 and not liked.deleted
    gone = await objects.get(db, reply["id"])
    assert gone is not None and gone.deleted and gone.document["type"] == "Tombstone"
    assert await remote_actors.get(db, BOB) is None
    assert await remote_actors.get(db, f"{ELM}/users/erin") is not None
