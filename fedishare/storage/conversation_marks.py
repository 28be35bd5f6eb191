"""What a member did with each of their private conversations in an app: when they last read
it (Mastodon's `unread`) and when they removed it from their list (it comes back with the
next message, as Mastodon's does). A listing conversation keeps times; a direct thread the
ids of the newest status it had then (`read_status_id`, `hidden_status_id`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import marks


@dataclass(frozen=True)
class Mark:
    read_at: str | None
    hidden_at: str | None
    read_status_id: int | None = None
    hidden_status_id: int | None = None


async def of_conversations(
    db: Database | Transaction, actor_id: int, conversation_ids: Sequence[int]
) -> dict[int, Mark]:
    if not conversation_ids:
        return {}
    rows = await db.fetch_all(
        "SELECT conversation_id, read_at, hidden_at, read_status_id, hidden_status_id"
        " FROM conversation_marks"
        f" WHERE actor_id = ? AND conversation_id IN ({marks(conversation_ids)})",
        (actor_id, *conversation_ids),
    )
    return {
        r["conversation_id"]: Mark(
            r["read_at"], r["hidden_at"], r["read_status_id"], r["hidden_status_id"]
        )
        for r in rows
    }


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


async def thread_read(tx: Transaction, actor_id: int, conversation_id: int, status_id: int) -> None:
    """A direct thread read up to (and including) status `status_id`."""
    await tx.execute(
        "INSERT INTO conversation_marks (actor_id, conversation_id, read_status_id)"
        " VALUES (?, ?, ?) ON CONFLICT (actor_id, conversation_id) DO UPDATE SET"
        " read_status_id = max(coalesce(conversation_marks.read_status_id, 0),"
        " excluded.read_status_id)",
        (actor_id, conversation_id, status_id),
    )


async def thread_hidden(
    tx: Transaction, actor_id: int, conversation_id: int, status_id: int
) -> None:
    """A direct thread removed from the list while `status_id` was its newest (read too)."""
    await tx.execute(
        "INSERT INTO conversation_marks"
        " (actor_id, conversation_id, read_status_id, hidden_status_id) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (actor_id, conversation_id) DO UPDATE SET"
        " hidden_status_id = excluded.hidden_status_id,"
        " read_status_id = max(coalesce(conversation_marks.read_status_id, 0),"
        " excluded.read_status_id)",
        (actor_id, conversation_id, status_id, status_id),
    )
