"""Activities our actors published, and the delivery rows that carry them to inboxes.

Rows are kept while anything needs them and pruned after (`delete_unneeded`, run by the
retention worker): see `_NEEDED` for what is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from fedishare.core.json_text import compact_json
from fedishare.core.types import JSON
from fedishare.storage.database import Database, Row, Transaction
from fedishare.storage.notify import DELIVERIES, notify


async def insert_activity(
    tx: Transaction,
    *,
    actor_id: int,
    activity: JSON,
    public: bool,
    now: float,
) -> int:
    """Store an activity we publish at `now` (unix seconds); returns its row id (the delivery
    rows point at it)."""
    obj = activity.get("object")
    object_id = obj.get("id") if isinstance(obj, dict) else obj
    return await tx.insert(
        "INSERT INTO outbox_activities (activity_id, actor_id, type, object_id, document,"
        " public, published, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            activity["id"],
            actor_id,
            activity["type"],
            object_id if isinstance(object_id, str) else None,
            compact_json(activity),
            int(public),
            activity.get("published", ""),
            now,
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
    await notify(tx, DELIVERIES)  # workers in other processes start at once (PostgreSQL)
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


# What an activity is still needed for, once its deliveries have ended and been deleted:
# - an object's Create, its newest Update and the newest boost (an Announce of its id) of
#   it by each actor, while the object lives (in statuses, objects or listings) and the boost
#   is not undone: the outbox collection lists them (peers walk the community's to take in
#   its listings) and they are served at their ids;
# - a Follow we sent, while the follow lasts (an Undo embeds it as sent).
# Everything else (Accept, Reject, Delete, Undo, Like, Block, Flag, an Announce of an
# activity, superseded Updates) was needed only by its deliveries.
_NEEDED = """
    (a.object_id IS NOT NULL AND a.type IN ('Create', 'Update', 'Announce')
        AND NOT EXISTS (
            SELECT 1 FROM outbox_activities b INDEXED BY outbox_activities_object
            WHERE b.object_id = a.object_id AND b.actor_id = a.actor_id AND b.id > a.id
                AND b.type = a.type)
        AND (EXISTS (SELECT 1 FROM statuses s WHERE s.uri = a.object_id AND s.deleted = 0)
            OR EXISTS (SELECT 1 FROM objects o WHERE o.id = a.object_id AND o.deleted = 0)
            OR EXISTS (SELECT 1 FROM listings l WHERE l.id = a.object_id AND l.deleted = 0))
        AND NOT EXISTS (
            SELECT 1 FROM statuses s WHERE s.uri = a.activity_id AND s.deleted = 1))
    OR (a.type = 'Follow'
        AND EXISTS (SELECT 1 FROM follows f WHERE f.activity_id = a.activity_id))
"""


async def last_before(db: Database | Transaction, before: float) -> int:
    """The highest row id of an activity published before `before` (0: none)."""
    value = await db.fetch_value(
        "SELECT max(id) FROM outbox_activities INDEXED BY outbox_activities_created"
        " WHERE created_at < ?",
        (before,),
    )
    return 0 if value is None else int(value)


async def delete_unneeded(
    tx: Transaction, *, before: float, after: int, upto: int, window: int
) -> tuple[int, int]:
    """Look at up to `window` activities with row ids in (`after`, `upto`], and delete those
    published before `before` that no delivery row points at and nothing else needs.

    Returns (deleted, the last row id looked at; `upto` or more when done): the caller goes on
    from there, a transaction per window, so that kept rows are read once per pass.
    """
    found = await tx.fetch_one(
        "SELECT max(id) FROM (SELECT id FROM outbox_activities WHERE id > ? AND id <= ?"
        " ORDER BY id LIMIT ?) AS w",
        (after, upto, window),
    )
    last = None if found is None else found[0]
    if last is None:
        return 0, upto
    deleted = await tx.execute(
        "DELETE FROM outbox_activities WHERE id IN (SELECT a.id FROM outbox_activities a"
        " WHERE a.id > ? AND a.id <= ? AND a.created_at < ?"
        " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_rowid = a.id)"
        f" AND NOT ({_NEEDED}))",
        (after, int(last), before),
    )
    return deleted, int(last)


async def count(db: Database | Transaction) -> int:
    return int(await db.fetch_value("SELECT count(*) FROM outbox_activities"))
