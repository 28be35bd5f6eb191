"""Notifications recorded for what arrives from another server (elm.test, over the
in-process network): follows and follow requests, mentions, private responses to a
listing, favourites and boosts; and the notes a local responder gets about a listing."""

from __future__ import annotations

from fedishare.accounts.members import create_member
from fedishare.core.activitystreams import PUBLIC
from fedishare.core.paging import Page
from fedishare.listings import answering, conversations, service
from fedishare.storage import notifications, statuses
from fedishare.storage.actors import LocalActor
from fedishare.storage.notifications import Notification
from tests.harness import Network, Node
from tests.inbox.handler_support import local_note, receive
from tests.listings.responses_support import ALICE, world
from tests.waiting import eventually

BOB = "http://elm.test/users/bob"


async def of(node: Node, member: LocalActor, count: int) -> list[Notification]:
    """The member's notifications (oldest first), once there are `count` of them."""

    async def found() -> list[Notification] | None:
        rows = await notifications.page_of(node.instance.db, member.id, Page(limit=40))
        return rows[::-1] if len(rows) >= count else None

    return await eventually(found)


async def test_a_follow_from_another_server_notifies_once(net: Network) -> None:
    w = await world(net)
    await w.member("bob")
    await w.post("bob", {"type": "Follow", "object": ALICE})
    [follow] = await of(w.oak, w.alice, 1)
    assert (follow.type, follow.from_actor, follow.status_id) == ("follow", BOB, None)
    # The same Follow again (a redelivery, or following anew) notifies no more.
    await receive(w.oak, {"id": f"{BOB}#f2", "type": "Follow", "actor": BOB, "object": ALICE})
    assert len(await of(w.oak, w.alice, 1)) == 1


async def test_a_follow_of_a_locked_member_is_a_follow_request(net: Network) -> None:
    w = await world(net)
    async with w.oak.instance.db.transaction() as tx:
        await tx.execute(
            "UPDATE local_actors SET manually_approves_followers = 1 WHERE id = ?", (w.alice.id,)
        )
    await w.member("bob")
    await w.post("bob", {"type": "Follow", "object": ALICE})
    [request] = await of(w.oak, w.alice, 1)
    assert (request.type, request.from_actor) == ("follow_request", BOB)


async def test_a_mention_and_a_private_response_to_a_listing(net: Network) -> None:
    w = await world(net)
    await w.member("bob")
    created = await w.post(
        "bob",
        {
            "type": "Note",
            "content": "<p>@alice hello</p>",
            "to": [PUBLIC],
            "cc": [ALICE],
            "tag": [{"type": "Mention", "href": ALICE, "name": "@alice@oak.test"}],
        },
    )
    [mention] = await of(w.oak, w.alice, 1)
    row = await statuses.by_uri(w.oak.instance.db, created["object"]["id"])
    assert row is not None
    assert (mention.type, mention.from_actor, mention.status_id) == ("mention", BOB, row.id)

    listing = await w.listing()
    reply = await w.reply("bob", listing, "Is the bike still there?")
    _, response = await of(w.oak, w.alice, 2)
    row = await statuses.by_uri(w.oak.instance.db, reply)
    assert row is not None and row.visibility == "direct"
    assert (response.type, response.status_id) == ("mention", row.id)


async def test_favourites_and_boosts_of_a_members_status(net: Network) -> None:
    w = await world(net)
    await w.member("bob")
    note = await local_note(w.oak, w.alice)
    row = await statuses.by_uri(w.oak.instance.db, note)
    assert row is not None
    like = {"id": f"{BOB}#likes/1", "type": "Like", "actor": BOB, "object": note}
    boost = {"id": f"{BOB}/statuses/9/activity", "type": "Announce", "actor": BOB, "object": note}
    for activity in (like, like, boost):
        await receive(w.oak, activity)
    favourite, reblog = await of(w.oak, w.alice, 2)
    assert (favourite.type, favourite.status_id, favourite.from_actor) == ("favourite", row.id, BOB)
    assert (reblog.type, reblog.status_id) == ("reblog", row.id)
    # Someone else's object is nobody's notification here.
    await receive(w.oak, {**like, "id": f"{BOB}#likes/2", "object": "http://elm.test/notes/1"})
    assert len(await of(w.oak, w.alice, 2)) == 2


async def test_a_local_responder_gets_the_authors_answer_and_the_listing_gone(
    net: Network,
) -> None:
    """Carol (of oak.test) answers alice's listing: alice is notified; alice's answer and,
    once the listing went to someone else, the note that it has gone notify carol, as
    direct statuses mentioning her."""
    w = await world(net)
    inst = w.oak.instance
    carol = await create_member(inst.db, inst.clock, "carol")
    dave = await create_member(inst.db, inst.clock, "dave")
    listing = await w.listing()
    await answering.answer_listing(inst, carol, listing, "<p>I'd love it</p>")
    await answering.answer_listing(inst, dave, listing, "<p>Me too</p>")
    first, _ = await of(w.oak, w.alice, 2)
    assert (first.type, first.from_actor) == ("mention", "http://oak.test/users/carol")

    await conversations.answer_response(
        inst, w.alice, listing, "http://oak.test/users/carol", "tentative"
    )
    [answer] = await of(w.oak, carol, 1)
    assert (answer.type, answer.from_actor) == ("mention", ALICE)
    row = await statuses.get(inst.db, answer.status_id or 0)
    assert row is not None and row.visibility == "direct"
    assert "http://oak.test/users/carol" in await statuses.mentions_of(inst.db, row.id)

    await service.reserve(inst, w.alice, listing, "http://oak.test/users/dave")
    await service.mark_done(inst, w.alice, listing)
    await conversations.notify_gone(inst, listing, except_responder="http://oak.test/users/dave")
    _, gone = await of(w.oak, carol, 2)
    assert (gone.type, gone.from_actor) == ("mention", ALICE)
    assert gone.status_id != answer.status_id
