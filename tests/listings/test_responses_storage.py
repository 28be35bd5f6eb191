"""Storing responses: once-only messages, comments and notes told; threads found from any
message or note; deleted objects left out of what is read."""

from __future__ import annotations

from fedishare.core.types import JSON
from fedishare.storage import conversations as store
from fedishare.storage import objects
from fedishare.storage.database import Database

L = "https://oak.example/listings/1"
BOB = "https://elm.example/users/bob"
CAROL = "https://elm.example/users/carol"


def note(n: int, author: str = BOB) -> JSON:
    return {"id": f"{author}/notes/{n}", "type": "Note", "attributedTo": author, "content": f"{n}"}


async def keep(db: Database, doc: JSON, published: str) -> None:
    async with db.transaction() as tx:
        await objects.insert(tx, doc, attributed_to=doc["attributedTo"], published=published)


async def test_a_conversation_keeps_each_message_once(db: Database) -> None:
    await keep(db, note(1), "2026-05-01T10:00:00Z")
    offer: JSON = {"id": f"{BOB}/offers/1", "type": "Offer", "actor": BOB}
    async with db.transaction() as tx:
        first = await store.open_conversation(tx, L, BOB, "2026-05-01T10:00:01Z")
        assert await store.open_conversation(tx, L, BOB, "2026-05-02T00:00:00Z") == first
        assert await store.add_message(
            tx, first, note(1)["id"], "in", "note", "2026-05-01T10:00:00Z"
        )
        assert not await store.add_message(tx, first, note(1)["id"], "in", "note", "x")
        assert await store.add_message(
            tx, first, offer["id"], "in", "offer", "2026-05-01T11:00:00Z", offer
        )
        await store.set_answer(tx, first, "tentative")
    conv = await store.find_conversation(db, L, BOB)
    assert conv is not None and conv.answer == "tentative"
    assert (conv.opened_at, conv.last_at) == ("2026-05-01T10:00:01Z", "2026-05-01T11:00:00Z")
    messages = await store.messages(db, first)
    assert [(m.object_id, m.kind, m.document) for m in messages] == [
        (note(1)["id"], "note", note(1)),
        (offer["id"], "offer", offer),
    ]
    assert await store.last_message(db, first, kinds=("offer", "join")) == offer["id"]
    assert await store.last_message(db, first, kinds=("join",)) is None
    assert await store.thread_of(db, note(1)["id"]) == (L, BOB)
    assert await store.latest_from(db, L, BOB) == offer["id"]
    assert [r.responder for r in await store.responders(db, L)] == [BOB]

    async with db.transaction() as tx:  # bob deletes his note
        await objects.mark_deleted(tx, note(1)["id"], "2026-05-03T00:00:00Z")
    assert [m.object_id for m in await store.messages(db, first)] == [offer["id"]]


async def test_comments_and_notes_told_once(db: Database) -> None:
    await keep(db, note(1), "2026-05-01T10:00:00Z")
    await keep(db, note(2, CAROL), "2026-05-01T10:00:00Z")
    async with db.transaction() as tx:
        assert await store.add_comment(tx, L, note(1)["id"], BOB, "public", "2026-05-01T10:00:00Z")
        assert not await store.add_comment(tx, L, note(1)["id"], BOB, "public", "x")
        await store.add_comment(
            tx, L, note(2, CAROL)["id"], CAROL, "followers", "2026-05-01T10:00:00Z"
        )
        assert await store.mark_told(tx, L, BOB, "howto", "https://oak.example/objects/h")
        assert not await store.mark_told(tx, L, BOB, "howto", "https://oak.example/objects/h2")
        assert await store.mark_told(tx, L, BOB, "gone", "https://oak.example/objects/g")
    assert [c.author for c in await store.comments(db, L)] == [BOB, CAROL]
    assert [c.author for c in await store.comments(db, L, ("public", "unlisted"))] == [BOB]
    responder = await store.get_responder(db, L, BOB)
    assert responder is not None
    assert (responder.howto_note, responder.gone_note) == (
        "https://oak.example/objects/h",
        "https://oak.example/objects/g",
    )
    assert await store.thread_of(db, "https://oak.example/objects/h") == (L, BOB)
    assert await store.thread_of(db, "https://oak.example/objects/unknown") is None
    assert await store.latest_from(db, L, CAROL) == note(2, CAROL)["id"]
    assert await store.find_conversation(db, L, BOB) is None
