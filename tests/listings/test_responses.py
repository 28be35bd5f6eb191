"""Replies to a listing across two running instances: a direct reply opens the private
conversation, a public one becomes a comment and gets the author's note on how to respond
privately (once); the author writes back; Mastodon's own replies are taken the same way."""

from __future__ import annotations

from fedishare.accounts.members import create_member
from fedishare.core.activitystreams import PUBLIC
from fedishare.listings import conversations as api
from fedishare.storage import conversations as store
from tests.harness import Network
from tests.listings.responses_support import (
    ALICE,
    MASTODON,
    conversation,
    kept,
    mastodon_reply,
    objects_to,
    sent,
    world,
)
from tests.waiting import eventually

BOB = "http://elm.test/users/bob"
JOHN = f"{MASTODON}/users/john"


async def test_a_direct_reply_opens_the_conversation_and_the_author_writes_back(
    net: Network,
) -> None:
    w = await world(net)
    await w.member("bob")
    listing = await w.listing()
    first = await w.reply("bob", listing, "Could I have it?")
    conv = await conversation(w.oak, listing, BOB)
    assert conv.answer is None
    inst = w.oak.instance
    [message] = await api.conversation_messages(inst, w.alice, listing, BOB)
    assert (message.object_id, message.direction, message.kind) == (first, "in", "note")
    assert message.document["content"] == "<p>Could I have it?</p>"
    assert await api.list_comments(inst, w.alice, listing) == []
    assert [r.responder for r in await api.list_responders(inst, w.alice, listing)] == [BOB]
    assert await sent(w.oak, "Create") == []  # nobody was told anything

    create = await api.send_message(
        inst, w.alice, listing, BOB, "<p>Sure, <script>x</script>come by at six</p>"
    )
    note = create["object"]
    assert create["to"] == [BOB] and create["cc"] == []
    assert note["to"] == [BOB] and note["cc"] == [] and note["inReplyTo"] == first
    assert note["tag"] == [{"type": "Mention", "href": BOB, "name": "@bob@elm.test"}]
    assert note["content"].startswith('<p><span class="h-card"><a href="http://elm.test/users/bob"')
    assert note["content"].endswith("</span></a></span> Sure, come by at six</p>")
    [(activity, inboxes)] = await sent(w.oak, "Create")
    assert activity == create and inboxes == ["http://elm.test/inbox"]
    received = await kept(w.elm, note["id"])  # elm keeps it: it is addressed to bob
    assert received.attributed_to == ALICE and received.in_reply_to == first

    second = await w.reply("bob", note["id"], "Great, see you")  # a reply to alice's note

    async def three() -> list[store.Message]:
        found = await api.conversation_messages(inst, w.alice, listing, BOB)
        return found if len(found) == 3 else []

    messages = await eventually(three)
    assert [(m.object_id, m.direction) for m in messages] == [
        (first, "in"),
        (note["id"], "out"),
        (second, "in"),
    ]
    [conv] = await api.list_conversations(inst, w.alice, listing)
    assert conv.responder == BOB and conv.last_at >= conv.opened_at


async def test_a_public_reply_is_a_comment_and_its_author_is_told_once_how_to_answer(
    net: Network,
) -> None:
    w = await world(net)
    await w.member("bob")
    listing = await w.listing()
    inst = w.oak.instance
    comment = await w.reply("bob", listing, "Nice bike!", public=True)

    async def howto() -> list[dict[str, object]]:
        return await objects_to(w.elm, BOB)

    [note] = await eventually(howto)  # arrived at elm, kept there
    assert note["inReplyTo"] == comment and note["cc"] == []
    assert note["tag"] == [{"type": "Mention", "href": BOB, "name": "@bob@elm.test"}]
    assert "privately" in note["content"] and "Blue one-speed bike" in note["content"]
    [c] = await api.list_comments(inst, w.alice, listing)
    assert (c.object_id, c.author, c.visibility) == (comment, BOB, "public")
    assert c.document["content"] == "<p>Nice bike!</p>"
    assert await api.public_comments(inst, listing) == [c]
    assert await api.list_conversations(inst, w.alice, listing) == []

    again = await w.reply("bob", listing, "Really nice.", public=True)

    async def two() -> list[store.Comment]:
        found = await api.list_comments(inst, w.alice, listing)
        return found if len(found) == 2 else []

    assert [c.object_id for c in await eventually(two)] == [comment, again]
    assert len(await sent(w.oak, "Create")) == 1  # told once only
    [responder] = await api.list_responders(inst, w.alice, listing)
    assert responder.howto_note == note["id"]

    # Answering the note privately opens the conversation.
    private = await w.reply("bob", note["id"], "Can I have it?")
    await conversation(w.oak, listing, BOB)
    [message] = await api.conversation_messages(inst, w.alice, listing, BOB)
    assert message.object_id == private and message.direction == "in"


async def test_an_unlisted_or_followers_only_reply_is_a_comment_too(net: Network) -> None:
    w = await world(net)
    await w.member("bob")
    await w.member("carol")
    listing = await w.listing()
    reply = {"type": "Note", "content": "hm", "inReplyTo": listing}
    await w.post("bob", reply | {"to": [ALICE], "cc": [PUBLIC]})
    await w.post("carol", reply | {"to": ["http://elm.test/users/carol/followers", ALICE]})
    inst = w.oak.instance

    async def both() -> list[store.Comment]:
        found = await api.list_comments(inst, w.alice, listing)
        return found if len(found) == 2 else []

    visibility = {c.author: c.visibility for c in await eventually(both)}
    assert visibility == {BOB: "unlisted", "http://elm.test/users/carol": "followers"}
    assert [c.author for c in await api.public_comments(inst, listing)] == [BOB]


async def test_a_mastodon_direct_reply_opens_the_conversation(net: Network) -> None:
    w = await world(net)
    listing = await w.listing()
    await w.signed("john", mastodon_reply(101, listing), path="/users/alice/inbox")
    await conversation(w.oak, listing, JOHN)
    inst = w.oak.instance
    [message] = await api.conversation_messages(inst, w.alice, listing, JOHN)
    assert message.object_id == f"{JOHN}/statuses/101"
    assert message.published == "2026-05-02T09:00:00Z"  # as sent (it is not in the future)
    assert "still there" in message.document["content"]

    create = await api.send_message(inst, w.alice, listing, JOHN, "Yes, it is.")
    note = create["object"]
    assert note["content"].endswith("</span></a></span> Yes, it is.</p>")
    assert note["tag"] == [{"type": "Mention", "href": JOHN, "name": "@john@mastodon.test"}]
    assert note["inReplyTo"] == f"{JOHN}/statuses/101" and note["to"] == [JOHN]
    [(_, inboxes)] = await sent(w.oak, "Create")
    assert inboxes == [f"{MASTODON}/inbox"]  # the peer's shared inbox

    # A public reply from someone who already talks privately: a comment, nothing told.
    await w.signed("john", mastodon_reply(102, listing, direct=False))

    async def commented() -> list[store.Comment]:
        return await api.list_comments(inst, w.alice, listing)

    [comment] = await eventually(commented)
    assert comment.object_id == f"{JOHN}/statuses/102" and comment.visibility == "public"
    assert len(await sent(w.oak, "Create")) == 1


async def test_replies_that_are_not_responses_are_left_alone(net: Network) -> None:
    w = await world(net)
    await w.member("bob")
    listing = await w.listing()
    inst = w.oak.instance
    # A private reply to the listing that alice is not part of.
    carol = "http://oak.test/users/carol"
    await create_member(inst.db, inst.clock, "carol")
    created = await w.post(
        "bob",
        {
            "type": "Note",
            "content": "psst",
            "inReplyTo": listing,
            "to": [carol],
            "tag": [{"type": "Mention", "href": carol, "name": "@carol@oak.test"}],
        },
    )
    await kept(w.oak, created["object"]["id"])
    assert await store.responders(inst.db, listing) == []
