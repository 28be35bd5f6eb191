"""Objects (notes, listings, replies) by id, ours and other servers', with their reaction counts.

A deleted object keeps its row as a Tombstone, so that its id is never taken again.
Every write keeps the status index (`fedishare.storage.statuses`) in step, in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fedishare.core.json_text import compact_json
from fedishare.core.types import JSON
from fedishare.storage import statuses
from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row


@dataclass(frozen=True)
class StoredObject:
    id: str
    type: str
    attributed_to: str
    local_actor_id: int | None
    in_reply_to: str | None
    document: JSON
    published: str
    updated: str | None
    deleted: bool
    likes: int
    announces: int

    @property
    def is_local(self) -> bool:
        return self.local_actor_id is not None


async def get(db: Database | Transaction, object_id: str) -> StoredObject | None:
    row = await db.fetch_one("SELECT * FROM objects WHERE id = ?", (object_id,))
    return None if row is None else from_row(StoredObject, row)


async def insert(
    tx: Transaction,
    document: JSON,
    *,
    attributed_to: str,
    published: str,
    in_reply_to: str | None = None,
    local_actor_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Store an object once; False if its id is already taken (a live or a deleted one).
    `now` (the writer's clock) bounds the time its status is indexed at."""
    changed = await tx.execute(
        "INSERT OR IGNORE INTO objects (id, type, attributed_to, local_actor_id, in_reply_to,"
        " document, published, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            document["id"],
            document["type"],
            attributed_to,
            local_actor_id,
            in_reply_to,
            compact_json(document),
            published,
            document.get("updated") if isinstance(document.get("updated"), str) else None,
        ),
    )
    if changed:
        await statuses.index_object(
            tx,
            document,
            attributed_to=attributed_to,
            published=published,
            in_reply_to=in_reply_to,
            local_actor_id=local_actor_id,
            now=now,
        )
    return changed > 0


async def replace_document(
    tx: Transaction,
    object_id: str,
    document: JSON,
    updated: str,
    *,
    now: datetime | None = None,
) -> bool:
    """An edit: the new document and its `updated` time, unless the object is deleted."""
    changed = await tx.execute(
        "UPDATE objects SET document = ?, type = ?, updated = ? WHERE id = ? AND deleted = 0",
        (compact_json(document), document["type"], updated, object_id),
    )
    if changed:
        await statuses.update_object(tx, object_id, document, updated=updated, now=now)
    return changed > 0


def tombstone(object_id: str, former_type: str, deleted_at: str) -> JSON:
    return {"id": object_id, "type": "Tombstone", "formerType": former_type, "deleted": deleted_at}


async def mark_deleted(tx: Transaction, object_id: str, deleted_at: str) -> bool:
    """Replace the document by a Tombstone and keep the row; False if already deleted."""
    row = await tx.fetch_one("SELECT type FROM objects WHERE id = ? AND deleted = 0", (object_id,))
    if row is None:
        return False
    await tx.execute(
        "UPDATE objects SET deleted = 1, document = ?, updated = ?, in_reply_to = NULL"
        " WHERE id = ?",
        (compact_json(tombstone(object_id, row["type"], deleted_at)), deleted_at, object_id),
    )
    await statuses.mark_deleted(tx, object_id)
    return True


async def mark_author_deleted(tx: Transaction, attributed_to: str, deleted_at: str) -> int:
    """Tombstone every live object of a (deleted) remote author; returns how many."""
    rows = await tx.fetch_all(
        "SELECT id FROM objects WHERE attributed_to = ? AND deleted = 0 AND local_actor_id IS NULL",
        (attributed_to,),
    )
    for row in rows:
        await mark_deleted(tx, row["id"], deleted_at)
    return len(rows)


async def add_to_count(tx: Transaction, object_id: str, reaction_type: str, delta: int) -> None:
    """Move the Like or Announce count of an object, never below zero."""
    column = {"Like": "likes", "Announce": "announces"}[reaction_type]
    await tx.execute(
        f"UPDATE objects SET {column} = max(0, {column} + ?) WHERE id = ?", (delta, object_id)
    )
