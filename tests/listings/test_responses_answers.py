"""FEP-0837 Offers and Joins of stays, answered at once and then by the author; the author's
answers to plain replies; and the note that a listing has gone, sent once to each of the
others."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fedishare.accounts.members import create_member
from fedishare.core.errors import Forbidden, NotFound
from fedishare.core.types import JSON
from fedishare.listings import conversations as api
from fedishare.listings import service
from fedishare.listings.lifecycle import Conflict
from fedishare.storage import conversations as store
from tests.harness import Network
from tests.inbox.handler_support import receive
from tests.listings.factory import stay_draft
from tests.listings.responses_support import (
    ALICE,
    MASTODON,
    conversation,
    mastodon_reply,
    objects_to,
    sent,
    world,
)
from tests.mastodon_peer import rsa_key
from tests.waiting import eventually

JOHN = f"{MASTODON}/users/john"
MARY = f"{MASTODON}/users/mary"
BOB = "http://elm.test/users/bob"
CAROL = "http://elm.test/users/carol"
DAVE = "http://elm.test/users/dave"
VF = {"vf": "https://w3id.org/valueflows/ont/vf#", "Agreement": "vf:Agreement"}


def offer(n: int, listing: str, actor: str = JOHN) -> JSON:
    """An Offer(Agreement) as Mitra builds one for a FEP-0837 proposal."""
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", VF],
        "id": f"{actor}/offers/{n}",
        "type": "Offer",
        "actor": actor,
        "object": {
            "type": "Agreement",
            "stipulates": {
                "type": "Commitment",
                "satisfies": f"{listing}#primary",
                "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
            },
        },
        "to": ALICE,
    }


def join(n: int, listing: str, actor: str = JOHN) -> JSON:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/joins/{n}",
        "type": "Join",
        "actor": actor,
        "object": listing,
        "to": [ALICE],
    }


async def answers(w: Any, kind: str, count: int = 1) -> list[tuple[JSON, list[str]]]:
    async def found() -> list[tuple[JSON, list[str]]]:
        got = await sent(w.oak, kind)
        return got if len(got) >= count else []

    return await eventually(found)


async def test_an_offer_is_tentatively_accepted_then_the_author_accepts(net: Network) -> None:
    w = await world(net)
    listing = await w.listing()
    inst = w.oak.instance
    the_offer = offer(1, listing)
    await w.signed("john", the_offer)
    [(tentative, inboxes)] = await answers(w, "TentativeAccept")
    assert tentative["actor"] == ALICE and tentative["to"] == [JOHN]
    assert tentative["object"] == {k: the_offer[k] for k in ("id", "type", "actor", "object")}
    assert inboxes == [f"{MASTODON}/inbox"]
    conv = await conversation(w.oak, listing, JOHN)
    assert conv.answer == "tentative"
    messages = await api.conversation_messages(inst, w.alice, listing, JOHN)
    assert [(m.object_id, m.direction, m.kind) for m in messages] == [
        (the_offer["id"], "in", "offer"),
        (tentative["id"], "out", "tentative"),
    ]
    assert messages[0].document == the_offer

    await receive(w.oak, the_offer)  # delivered again (or processed again after a crash)
    assert len(await sent(w.oak, "TentativeAccept")) == 1
    assert len(await api.conversation_messages(inst, w.alice, listing, JOHN)) == 2

    accept = await api.answer_response(inst, w.alice, listing, JOHN, "accept")
    assert accept["type"] == "Accept" and accept["object"]["id"] == the_offer["id"]
    assert [a for a, _ in await sent(w.oak, "Accept")] == [accept]
    assert (await conversation(w.oak, listing, JOHN)).answer == "accept"
    # A later Offer from the same responder gets the author's answer again.
    await receive(w.oak, offer(2, listing))
    accepts = await answers(w, "Accept", 2)
    assert accepts[1][0]["object"]["id"] == f"{JOHN}/offers/2"


async def test_joins_of_a_stay_and_offers_of_closed_or_deleted_listings(net: Network) -> None:
    w = await world(net)
    w.peer.add("mary", rsa_key(1))
    inst = w.oak.instance
    start = inst.clock() + timedelta(days=10)
    dates = {"start": f"{start:%Y-%m-%d}", "end": f"{start + timedelta(days=5):%Y-%m-%d}"}
    stay = (await service.create_listing(inst, w.alice, stay_draft(**dates))).listing.id
    await w.signed("john", join(1, stay))
    [(tentative, _)] = await answers(w, "TentativeAccept")
    assert tentative["object"]["id"] == f"{JOHN}/joins/1"
    [message, _] = await api.conversation_messages(inst, w.alice, stay, JOHN)
    assert message.kind == "join"

    await service.withdraw(inst, w.alice, stay)
    await w.signed("mary", join(1, stay, MARY))
    [(reject, inboxes)] = await answers(w, "Reject")
    assert reject["object"]["id"] == f"{MARY}/joins/1" and reject["to"] == [MARY]
    assert inboxes == [f"{MASTODON}/inbox"]
    assert (await conversation(w.oak, stay, MARY)).answer == "reject"

    # An Offer naming a deleted listing (by its id) is refused; nothing is recorded.
    gone = await w.listing()
    await service.delete_listing(inst, w.alice, gone)
    bare = offer(9, gone) | {"object": gone}
    await receive(w.oak, bare)
    [_, (refusal, _)] = await answers(w, "Reject", 2)
    assert refusal["object"]["id"] == bare["id"]
    assert await store.responders(inst.db, gone) == []
    await receive(w.oak, bare)
    assert len(await sent(w.oak, "Reject")) == 2

    # Offers and Joins of nothing of ours are ignored.
    await receive(w.oak, join(5, "http://oak.test/users/community"))
    await receive(w.oak, offer(6, "http://elsewhere.test/listings/1"))
    assert len(await sent(w.oak, "Reject")) + len(await sent(w.oak, "TentativeAccept")) == 3


async def test_the_author_answers_a_plain_reply_with_a_note(net: Network) -> None:
    w = await world(net)
    await w.member("bob")
    listing = await w.listing()
    inst = w.oak.instance
    reply = await w.reply("bob", listing, "Can I have it?")
    await conversation(w.oak, listing, BOB)
    create = await api.answer_response(inst, w.alice, listing, BOB, "tentative")
    note = create["object"]
    assert create["type"] == "Create" and note["to"] == [BOB] and note["inReplyTo"] == reply
    assert "noted your interest" in note["content"]
    messages = await api.conversation_messages(inst, w.alice, listing, BOB)
    assert [(m.direction, m.kind) for m in messages] == [("in", "note"), ("out", "tentative")]
    assert (await conversation(w.oak, listing, BOB)).answer == "tentative"

    async def arrived() -> list[JSON]:
        return await objects_to(w.elm, BOB)

    [received] = await eventually(arrived)
    assert received["id"] == note["id"]

    with pytest.raises(NotFound):
        await api.answer_response(inst, w.alice, listing, CAROL, "accept")
    with pytest.raises(NotFound):
        await api.send_message(inst, w.alice, listing, CAROL, "hello")
    zoe = await create_member(inst.db, inst.clock, "zoe")
    with pytest.raises(Forbidden):
        await api.answer_response(inst, zoe, listing, BOB, "accept")
    with pytest.raises(Forbidden):
        await api.list_conversations(inst, zoe, listing)
    await service.withdraw(inst, w.alice, listing)
    with pytest.raises(Conflict):
        await api.answer_response(inst, w.alice, listing, BOB, "accept")
    rejected = await api.answer_response(inst, w.alice, listing, BOB, "reject")
    assert "will not work out" in rejected["object"]["content"]


async def test_when_it_is_taken_the_others_are_told_once(net: Network) -> None:
    w = await world(net)
    for name in ("bob", "carol", "dave"):
        await w.member(name)
    listing = await w.listing()
    inst = w.oak.instance
    await w.reply("bob", listing, "Me please")
    await conversation(w.oak, listing, BOB)
    await w.reply("carol", listing, "Lovely!", public=True)
    await eventually(lambda: objects_to(w.elm, CAROL))  # the note on how to answer
    await w.signed("john", mastodon_reply(7, listing))
    await conversation(w.oak, listing, JOHN)

    with pytest.raises(Conflict):
        await api.notify_gone(inst, listing)  # still open
    await service.mark_done(inst, w.alice, listing, recipient=BOB)
    assert await api.notify_gone(inst, listing, except_responder=BOB) == [CAROL, JOHN]
    assert await api.notify_gone(inst, listing, except_responder=BOB) == []
    assert await api.notify_gone(inst, listing) == []  # bob got it: never told it has gone

    async def carol_told() -> list[JSON]:
        notes = await objects_to(w.elm, CAROL)
        return notes if len(notes) == 2 else []

    howto, gone = await eventually(carol_told)
    assert "has gone to someone else" in gone["content"]
    assert gone["inReplyTo"] == howto["inReplyTo"]  # her comment
    assert gone["tag"] == [{"type": "Mention", "href": CAROL, "name": "@carol@elm.test"}]
    to_john = [a for a, _ in await sent(w.oak, "Create") if a["to"] == [JOHN]]
    assert [a["object"]["inReplyTo"] for a in to_john] == [f"{JOHN}/statuses/7"]
    [*_, last] = await api.conversation_messages(inst, w.alice, listing, JOHN)
    assert (last.direction, last.kind) == ("out", "gone")
    assert await objects_to(w.elm, BOB) == []

    # Someone who responds after it has gone is told at once; bob, who got it, is not.
    await w.reply("dave", listing, "Still there?")

    async def dave_told() -> list[JSON]:
        return await objects_to(w.elm, DAVE)

    [note] = await eventually(dave_told)
    assert "has gone" in note["content"]
    await w.reply("bob", listing, "Thanks, picking it up at six")

    async def bob_twice() -> bool:
        return len(await api.conversation_messages(inst, w.alice, listing, BOB)) == 2

    await eventually(bob_twice)
    assert await objects_to(w.elm, BOB) == []
    assert await api.notify_gone(inst, listing, except_responder=BOB) == []
