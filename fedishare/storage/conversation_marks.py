"""What a member did with each of their private conversations in an app: when they last read
it (Mastodon's `unread`) and when they removed it from their list (it comes back with the
next message, as Mastodon's does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedishare.storage.database import Database, Transaction


@dataclass(frozen=True)
class Mark:
    read_at: str | None
    hidden_at: str | None


async def of_conversations(
    db: Database | Transaction, actor_id: int, conversation_ids: Sequence[int]
) -> dict[int, Mark]:
    if not conversation_ids:
        return {}
    rows = await db.fetch_all(
        "SELECT conversation_id, read_at, hidden_at FROM conversation_marks"
        f" WHERE actor_id = ? AND conversation_id IN ({', '.join('?' * len(conversation_ids))})",
        (actor_id, *conversation_ids),
    )
    return {r["conversation_id"]: Mark(r["read_at"], r["hidden_at"]) for r in rows}


async def mark_read(tx: Transaction, actor_id: int, conversation_id: int, at: str) -> None:
    await tx.execute(
        "INSERT INTO conversation_marks (actor_id, conversation_id, read_at) VALUES (?, ?, ?)"
        " ON CONFLICT (actor_id, conversation_id) DO UPDATE SET read_at = excluded.read_at",
        (actor_id, conversation_id, at),
    )


async def hide(tx: Transaction, actor_id: int, conversation_id: int, at: str) -> None:
    await tx.execute(
        "INSERT INTO conversation_marks (actor_id, conversation_id, read_at, hidden_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (actor_id, conversation_id) DO UPDATE SET"
        " hidden_at = excluded.hidden_at, read_at = excluded.read_at",
        (actor_id, conversation_id, at, at),
    )
