"""A member of ours answering a listing: what they may answer, conversations between two
members of one instance (recorded here, nothing sent), and which replies from another
server join a member's conversation about that server's listing."""

from __future__ import annotations

import pytest

from fedishare.accounts.members import create_member
from fedishare.core.activitystreams import PUBLIC
from fedishare.core.errors import Conflict, Forbidden, NotFound
from fedishare.core.types import JSON
from fedishare.listings import answering, ingest, member_conversations, service
from fedishare.listings import conversations as api
from fedishare.storage import conversations as store
from fedishare.storage import tokens
from fedishare.storage.actors import LocalActor
from tests.harness import Network
from tests.listings.federation_support import settled
from tests.listings.responses_support import ALICE, MASTODON, World, sent, world

BOB_OAK = "http://oak.test/users/bob"
BOB_ELM = "http://elm.test/users/bob"
AS = "application/activity+json"


async def _member(w: World, name: str) -> LocalActor:
    return await create_member(w.oak.instance.db, w.oak.instance.clock, name)


async def test_what_a_member_may_answer(net: Network) -> None:
    w = await world(net)
    inst = w.oak.instance
    bob = await _member(w, "bob")
    listing = await w.listing()
    with pytest.raises(Forbidden, match="your own listing"):
        await answering.answer_listing(inst, w.alice, listing, "<p>mine</p>")
    with pytest.raises(NotFound):
        await answering.answer_listing(inst, bob, "http://oak.test/listings/none", "<p>hi</p>")
    closed = await w.listing(title="Old lamp")
    await service.withdraw(inst, w.alice, closed)
    with pytest.raises(Conflict, match="withdrawn"):
        await answering.answer_listing(inst, bob, closed, "<p>Still there?</p>")

    # A conversation goes on after its listing closes.
    await answering.answer_listing(inst, bob, listing, "<p>Can I have it?</p>")
    await service.withdraw(inst, w.alice, listing)
    again = await answering.answer_listing(inst, bob, listing, "<p>Shame, thanks anyway</p>")
    assert len(await store.messages(inst.db, again.id)) == 2


async def test_members_of_one_instance_converse_without_the_network(net: Network) -> None:
    w = await world(net)
    inst = w.oak.instance
    bob, carol = await _member(w, "bob"), await _member(w, "carol")
    listing = await w.listing()
    await answering.answer_listing(inst, bob, listing, "<p>Mine please</p>")
    await answering.answer_listing(inst, carol, listing, "<p>Or mine</p>")
    responders = [r.responder for r in await api.list_responders(inst, w.alice, listing)]
    assert responders == [BOB_OAK, "http://oak.test/users/carol"]

    await api.answer_response(inst, w.alice, listing, BOB_OAK, "accept")
    await service.reserve(inst, w.alice, listing, BOB_OAK)
    await service.mark_done(inst, w.alice, listing)
    told = await api.notify_gone(inst, listing, except_responder=BOB_OAK)
    assert told == ["http://oak.test/users/carol"]

    [bobs] = [s for s in await member_conversations.inbox(inst, bob)]
    assert (bobs.role, bobs.other, bobs.about.answer) == ("responder", ALICE, "accept")
    kinds = [(m.direction, m.kind) for m in await member_conversations.messages(inst, bobs)]
    assert kinds == [("in", "note"), ("out", "accept")]
    [carols] = await member_conversations.inbox(inst, carol)
    messages = await member_conversations.messages(inst, carols)
    assert [(m.direction, m.kind) for m in messages] == [("in", "note"), ("out", "gone")]
    assert "gone to someone else" in messages[1].document["content"]
    alices = await member_conversations.inbox(inst, w.alice)
    assert {(s.role, s.other) for s in alices} == {
        ("author", BOB_OAK),
        ("author", "http://oak.test/users/carol"),
    }
    # Every note stayed here.
    assert all(inboxes == [] for _, inboxes in await sent(w.oak, "Create"))
    with pytest.raises(NotFound):
        await member_conversations.conversation(inst, carol, bobs.id)


async def _post_as_alice(w: World, body: JSON) -> JSON:
    inst = w.oak.instance
    token = await tokens.issue(inst.db, w.alice.id, inst.clock())
    r = await w.oak.client.post(
        "http://oak.test/users/alice/outbox",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": AS},
    )
    assert r.status_code == 201, r.text
    created: JSON = r.json()
    return created


async def test_only_the_authors_direct_reply_joins_the_members_conversation(
    net: Network,
) -> None:
    w = await world(net)
    elm = w.elm.instance
    listing = await w.listing()
    await ingest.refresh(elm, listing)
    bob = await create_member(elm.db, elm.clock, "bob")
    conversation = await answering.answer_listing(elm, bob, listing, "<p>Still there?</p>")
    [(create, _)] = await sent(w.elm, "Create")
    bobs_note = create["object"]["id"]
    mention = [{"type": "Mention", "href": BOB_ELM, "name": "@bob@elm.test"}]

    # Someone else's direct reply to bob's note: no part of the conversation.
    john = f"{MASTODON}/users/john"
    other: JSON = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{john}/statuses/9/activity",
        "type": "Create",
        "actor": john,
        "to": [BOB_ELM],
        "object": {
            "id": f"{john}/statuses/9",
            "type": "Note",
            "attributedTo": john,
            "inReplyTo": bobs_note,
            "to": [BOB_ELM],
            "content": "<p>I saw it first</p>",
            "tag": mention,
        },
    }
    body, headers = w.peer.signed_post("john", "http://elm.test/inbox", other, now=elm.clock())
    async with net.client() as client:
        r = await client.post("http://elm.test/inbox", content=body, headers=headers)
    assert r.status_code == 202
    # The author's public reply to it: a comment elsewhere, not a private message.
    public = {
        "type": "Note",
        "content": "<p>Yes, everyone</p>",
        "inReplyTo": bobs_note,
        "to": [PUBLIC],
        "cc": [BOB_ELM],
        "tag": mention,
    }
    await _post_as_alice(w, public)
    await settled(w.oak, w.elm)
    assert len(await store.messages(elm.db, conversation.id)) == 1

    direct = {"type": "Note", "content": "<p>Yes</p>", "inReplyTo": bobs_note, "to": [BOB_ELM]}
    direct["tag"] = mention
    sent_direct = await _post_as_alice(w, direct)
    await settled(w.oak, w.elm)
    messages = await store.messages(elm.db, conversation.id)
    assert [(m.object_id, m.direction) for m in messages] == [
        (bobs_note, "in"),
        (sent_direct["object"]["id"], "out"),
    ]
