"""Responses to our listings: who responded, the private conversation of each (listing,
responder) with its messages, and the public comments.

Notes (theirs and ours) are kept in `objects`, where edits and deletions apply; a message
row only points at them. Offers, Joins and our answers to them are activities, not objects:
their message row keeps the document. Readers return live documents only.

A conversation is also kept when one of our members answers another server's listing: then
the responder is ours and the author is theirs. Either way a message's direction is as the
listing's author sees it ("in" from the responder, "out" from the author), so one reading
serves both sides, and a conversation between two of our members too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

from fedishare.core.json_text import compact_json
from fedishare.core.types import JSON
from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import chunks, from_row, marks

Direction = Literal["in", "out"]
MessageKind = Literal["note", "offer", "join", "accept", "tentative", "reject", "gone"]
Answer = Literal["accept", "tentative", "reject"]
CommentVisibility = Literal["public", "unlisted", "followers"]
Told = Literal["howto", "gone"]


@dataclass(frozen=True)
class Responder:
    listing_id: str
    responder: str  # the actor id
    first_at: str
    howto_note: str | None  # our note telling them how to respond privately, once sent
    gone_note: str | None  # our note telling them the listing has gone, once sent


@dataclass(frozen=True)
class Conversation:
    id: int
    listing_id: str
    responder: str
    answer: Answer | None  # the author's latest answer, if any
    opened_at: str
    last_at: str  # when the latest message came or went


@dataclass(frozen=True)
class Message:
    object_id: str
    direction: Direction
    kind: MessageKind
    published: str
    document: JSON


@dataclass(frozen=True)
class MemberConversation:
    """A conversation as one of its parties lists it: with what it is about."""

    id: int
    listing_id: str
    responder: str
    answer: Answer | None
    opened_at: str
    last_at: str
    title: str  # empty once the listing is deleted
    author: str  # the listing's author
    remote: bool  # the listing is another server's
    status: str
    deleted: bool


@dataclass(frozen=True)
class Comment:
    object_id: str
    listing_id: str
    author: str
    visibility: CommentVisibility
    published: str
    document: JSON


async def add_responder(tx: Transaction, listing_id: str, responder: str, at: str) -> None:
    await tx.execute(
        "INSERT OR IGNORE INTO listing_responders (listing_id, responder, first_at)"
        " VALUES (?, ?, ?)",
        (listing_id, responder, at),
    )


async def get_responder(
    db: Database | Transaction, listing_id: str, responder: str
) -> Responder | None:
    row = await db.fetch_one(
        "SELECT * FROM listing_responders WHERE listing_id = ? AND responder = ?",
        (listing_id, responder),
    )
    return None if row is None else from_row(Responder, row)


async def responders(db: Database | Transaction, listing_id: str) -> list[Responder]:
    """Everyone who responded to a listing, first come first."""
    rows = await db.fetch_all(
        "SELECT * FROM listing_responders WHERE listing_id = ? ORDER BY first_at, responder",
        (listing_id,),
    )
    return [from_row(Responder, r) for r in rows]


async def mark_told(
    tx: Transaction, listing_id: str, responder: str, told: Told, note_id: str
) -> bool:
    """Record that `note_id` told the responder `told`; False if they were told already."""
    column = {"howto": "howto_note", "gone": "gone_note"}[told]
    changed = await tx.execute(
        f"UPDATE listing_responders SET {column} = ?"
        f" WHERE listing_id = ? AND responder = ? AND {column} IS NULL",
        (note_id, listing_id, responder),
    )
    return changed > 0


async def open_conversation(tx: Transaction, listing_id: str, responder: str, at: str) -> int:
    """The conversation of (listing, responder), opened now if it was not; returns its id."""
    await add_responder(tx, listing_id, responder, at)
    await tx.execute(
        "INSERT OR IGNORE INTO listing_conversations (listing_id, responder, opened_at, last_at)"
        " VALUES (?, ?, ?, ?)",
        (listing_id, responder, at, at),
    )
    row = await tx.fetch_one(
        "SELECT id FROM listing_conversations WHERE listing_id = ? AND responder = ?",
        (listing_id, responder),
    )
    assert row is not None
    return int(row["id"])


async def find_conversation(
    db: Database | Transaction, listing_id: str, responder: str
) -> Conversation | None:
    row = await db.fetch_one(
        "SELECT * FROM listing_conversations WHERE listing_id = ? AND responder = ?",
        (listing_id, responder),
    )
    return None if row is None else from_row(Conversation, row)


async def conversations(db: Database | Transaction, listing_id: str) -> list[Conversation]:
    """A listing's conversations, the most recently active first."""
    rows = await db.fetch_all(
        "SELECT * FROM listing_conversations WHERE listing_id = ? ORDER BY last_at DESC, id DESC",
        (listing_id,),
    )
    return [from_row(Conversation, r) for r in rows]


async def set_answer(tx: Transaction, conversation_id: int, answer: Answer) -> None:
    await tx.execute(
        "UPDATE listing_conversations SET answer = ? WHERE id = ?", (answer, conversation_id)
    )


async def add_message(
    tx: Transaction,
    conversation_id: int,
    object_id: str,
    direction: Direction,
    kind: MessageKind,
    published: str,
    document: JSON | None = None,
) -> bool:
    """Add a message once (False if its id is already recorded); `document` only for what
    `objects` does not keep."""
    changed = await tx.execute(
        "INSERT OR IGNORE INTO listing_messages"
        " (conversation_id, object_id, direction, kind, published, document)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            conversation_id,
            object_id,
            direction,
            kind,
            published,
            None if document is None else compact_json(document),
        ),
    )
    if changed:
        await tx.execute(
            "UPDATE listing_conversations SET last_at = max(last_at, ?) WHERE id = ?",
            (published, conversation_id),
        )
    return changed > 0


async def messages(db: Database | Transaction, conversation_id: int) -> list[Message]:
    """A conversation's messages in the order they came or went; deleted ones left out."""
    rows = await db.fetch_all(
        "SELECT m.object_id, m.direction, m.kind, m.published,"
        " coalesce(o.document, m.document) AS document"
        " FROM listing_messages m LEFT JOIN objects o ON o.id = m.object_id"
        " WHERE m.conversation_id = ? AND coalesce(o.deleted, 0) = 0"
        " AND coalesce(o.document, m.document) IS NOT NULL ORDER BY m.id",
        (conversation_id,),
    )
    return [
        Message(
            r["object_id"],
            cast(Direction, r["direction"]),
            cast(MessageKind, r["kind"]),
            r["published"],
            json.loads(r["document"]),
        )
        for r in rows
    ]


async def last_message(
    db: Database | Transaction,
    conversation_id: int,
    *,
    direction: Direction | None = None,
    kinds: tuple[MessageKind, ...] = (),
) -> str | None:
    """The id of the latest message (of that direction and those kinds) that is not deleted."""
    sql = (
        "SELECT m.object_id FROM listing_messages m LEFT JOIN objects o ON o.id = m.object_id"
        " WHERE m.conversation_id = ? AND coalesce(o.deleted, 0) = 0"
    )
    params: list[object] = [conversation_id]
    if direction is not None:
        sql += " AND m.direction = ?"
        params.append(direction)
    if kinds:
        sql += f" AND m.kind IN ({marks(kinds)})"
        params += kinds
    row = await db.fetch_one(sql + " ORDER BY m.id DESC LIMIT 1", params)
    return None if row is None else str(row["object_id"])


async def find_message(db: Database | Transaction, object_id: str) -> tuple[Message, int] | None:
    """A message by its object id, with its conversation's id."""
    row = await db.fetch_one(
        "SELECT m.*, coalesce(o.document, m.document, '{}') AS doc"
        " FROM listing_messages m LEFT JOIN objects o ON o.id = m.object_id"
        " WHERE m.object_id = ?",
        (object_id,),
    )
    if row is None:
        return None
    message = Message(
        row["object_id"],
        cast(Direction, row["direction"]),
        cast(MessageKind, row["kind"]),
        row["published"],
        json.loads(row["doc"]),
    )
    return message, int(row["conversation_id"])


async def latest_from(db: Database | Transaction, listing_id: str, responder: str) -> str | None:
    """The id of the latest thing the responder sent about the listing (a conversation
    message or a comment) that is not deleted: what our next note to them replies to."""
    row = await db.fetch_one(
        "SELECT object_id FROM ("
        " SELECT m.object_id, m.published, m.id AS n, 1 AS private FROM listing_messages m"
        " JOIN listing_conversations c ON c.id = m.conversation_id"
        " WHERE c.listing_id = ? AND c.responder = ? AND m.direction = 'in'"
        " UNION ALL"
        " SELECT object_id, published, 0, 0 FROM listing_comments"
        " WHERE listing_id = ? AND author = ?"
        ") r LEFT JOIN objects o ON o.id = r.object_id WHERE coalesce(o.deleted, 0) = 0"
        " ORDER BY r.published DESC, r.private DESC, r.n DESC LIMIT 1",
        (listing_id, responder, listing_id, responder),
    )
    return None if row is None else str(row["object_id"])


async def listing_author(db: Database | Transaction, listing_id: str) -> tuple[str, bool] | None:
    """(author, deleted?) of one of OUR listings, deleted ones included (whose rows stay)."""
    row = await db.fetch_one(
        "SELECT author, deleted FROM listings WHERE id = ? AND remote = 0", (listing_id,)
    )
    return None if row is None else (str(row["author"]), bool(row["deleted"]))


async def thread_of(db: Database | Transaction, object_id: str) -> tuple[str, str] | None:
    """(listing, responder) when `object_id` is a message of a conversation, or one of the
    notes we sent a responder: a reply to it belongs to that listing."""
    row = await db.fetch_one(
        "SELECT c.listing_id, c.responder FROM listing_messages m"
        " JOIN listing_conversations c ON c.id = m.conversation_id WHERE m.object_id = ?",
        (object_id,),
    )
    if row is None:
        row = await db.fetch_one(
            "SELECT listing_id, responder FROM listing_responders"
            " WHERE howto_note = ? OR gone_note = ?",
            (object_id, object_id),
        )
    return None if row is None else (str(row["listing_id"]), str(row["responder"]))


async def add_comment(
    tx: Transaction,
    listing_id: str,
    object_id: str,
    author: str,
    visibility: CommentVisibility,
    published: str,
) -> bool:
    """Keep a reply as a comment of the listing once; False if it was already."""
    await add_responder(tx, listing_id, author, published)
    changed = await tx.execute(
        "INSERT OR IGNORE INTO listing_comments"
        " (object_id, listing_id, author, visibility, published) VALUES (?, ?, ?, ?, ?)",
        (object_id, listing_id, author, visibility, published),
    )
    return changed > 0


async def comments(
    db: Database | Transaction,
    listing_id: str,
    visibilities: tuple[CommentVisibility, ...] = ("public", "unlisted", "followers"),
) -> list[Comment]:
    """A listing's comments of those visibilities, oldest first; deleted ones left out."""
    rows = await db.fetch_all(
        "SELECT c.*, o.document FROM listing_comments c JOIN objects o ON o.id = c.object_id"
        f" WHERE c.listing_id = ? AND o.deleted = 0"
        f" AND c.visibility IN ({marks(visibilities)})"
        " ORDER BY c.published, c.rowid",
        (listing_id, *visibilities),
    )
    return [
        Comment(
            r["object_id"],
            r["listing_id"],
            r["author"],
            cast(CommentVisibility, r["visibility"]),
            r["published"],
            json.loads(r["document"]),
        )
        for r in rows
    ]


_MEMBER_CONVERSATION = (
    "SELECT c.id, c.listing_id, c.responder, c.answer, c.opened_at, c.last_at, l.title,"
    " l.author, l.remote, l.status, l.deleted"
    " FROM listing_conversations c JOIN listings l ON l.id = c.listing_id"
)


async def member_conversations(
    db: Database | Transaction, actor: str, *, limit: int, offset: int = 0
) -> list[MemberConversation]:
    """The conversations `actor` (one of our members) is a party of: about their own
    listings, and their answers to others' listings; the most recently active first."""
    rows = await db.fetch_all(
        f"SELECT * FROM ({_MEMBER_CONVERSATION} WHERE l.author = ? AND l.remote = 0"
        f" UNION ALL {_MEMBER_CONVERSATION} WHERE c.responder = ? AND l.author != ?) AS mine"
        " ORDER BY last_at DESC, id DESC LIMIT ? OFFSET ?",
        (actor, actor, actor, limit, offset),
    )
    return [from_row(MemberConversation, r) for r in rows]


async def get_member_conversation(
    db: Database | Transaction, conversation_id: int
) -> MemberConversation | None:
    row = await db.fetch_one(f"{_MEMBER_CONVERSATION} WHERE c.id = ?", (conversation_id,))
    return None if row is None else from_row(MemberConversation, row)


async def listing_origin(db: Database | Transaction, listing_id: str) -> tuple[str, bool] | None:
    """(author, another server's?) of any listing we keep, deleted ones included."""
    row = await db.fetch_one("SELECT author, remote FROM listings WHERE id = ?", (listing_id,))
    return None if row is None else (str(row["author"]), bool(row["remote"]))


async def private_messages(db: Database | Transaction, object_ids: Sequence[str]) -> set[str]:
    """Those of `object_ids` that belong to a listing's private conversations: its
    messages, and the notes telling a responder how to respond or that it has gone."""
    found: set[str] = set()
    for chunk in chunks(object_ids):
        some = marks(chunk)
        rows = await db.fetch_all(
            f"SELECT object_id FROM listing_messages WHERE object_id IN ({some})"
            f" UNION SELECT howto_note FROM listing_responders WHERE howto_note IN ({some})"
            f" UNION SELECT gone_note FROM listing_responders WHERE gone_note IN ({some})",
            [*chunk, *chunk, *chunk],
        )
        found |= {str(r[0]) for r in rows}
    return found
