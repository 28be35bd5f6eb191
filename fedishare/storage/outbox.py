"""Activities our actors published, and the delivery rows that carry them to inboxes."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from fedishare.core.json_text import compact_json
from fedishare.core.types import JSON
from fedishare.storage.database import Database, Row, Transaction


async def insert_activity(
    tx: Transaction,
    *,
    actor_id: int,
    activity: JSON,
    public: bool,
) -> int:
    """Store an activity we publish; returns its row id (the delivery rows point at it)."""
    obj = activity.get("object")
    object_id = obj.get("id") if isinstance(obj, dict) else obj
    return await tx.insert(
        "INSERT INTO outbox_activities (activity_id, actor_id, type, object_id, document,"
        " public, published) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            activity["id"],
            actor_id,
            activity["type"],
            object_id if isinstance(object_id, str) else None,
            compact_json(activity),
            int(public),
            activity.get("published", ""),
        ),
    )


async def enqueue_deliveries(
    tx: Transaction, activity_rowid: int, inboxes: Iterable[str], now: float
) -> int:
    rows = [(activity_rowid, inbox, urlsplit(inbox).netloc.lower(), now) for inbox in inboxes]
    await tx.executemany(
        "INSERT OR IGNORE INTO deliveries (activity_rowid, inbox, host, next_try)"
        " VALUES (?, ?, ?, ?)",
        rows,
    )
    return len(rows)


async def get_activity(db: Database, activity_id: str) -> Row | None:
    return await db.fetch_one(
        "SELECT * FROM outbox_activities WHERE activity_id = ?", (activity_id,)
    )


async def public_page(db: Database, actor_id: int, *, limit: int, offset: int) -> list[Row]:
    """Newest first."""
    return await db.fetch_all(
        "SELECT * FROM outbox_activities WHERE actor_id = ? AND public = 1"
        " ORDER BY id DESC LIMIT ? OFFSET ?",
        (actor_id, limit, offset),
    )


async def count_public(db: Database, actor_id: int) -> int:
    return int(
        await db.fetch_value(
            "SELECT count(*) FROM outbox_activities WHERE actor_id = ? AND public = 1",
            (actor_id,),
        )
    )
