"""Likes and Announces of our objects: one per actor, object and type, counted on the object."""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.core.paging import Page
from fedishare.storage import objects
from fedishare.storage.database import Database, Transaction
from fedishare.storage.paging import in_order, window
from fedishare.storage.rows import from_row

TYPES = ("Like", "Announce")


@dataclass(frozen=True)
class Reaction:
    activity_id: str
    type: str  # 'Like' | 'Announce'
    actor: str
    object_id: str


async def add(
    tx: Transaction, activity_id: str, reaction_type: str, actor: str, object_id: str, now: str
) -> bool:
    """Record a reaction and count it; False (and no count) if the actor already reacted
    so, or the activity was seen before."""
    changed = await tx.execute(
        "INSERT OR IGNORE INTO reactions (activity_id, type, actor, object_id, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (activity_id, reaction_type, actor, object_id, now),
    )
    if changed:
        await objects.add_to_count(tx, object_id, reaction_type, +1)
    return bool(changed)


async def find_by_activity(db: Database | Transaction, activity_id: str) -> Reaction | None:
    row = await db.fetch_one("SELECT * FROM reactions WHERE activity_id = ?", (activity_id,))
    return None if row is None else from_row(Reaction, row)


async def find(
    db: Database | Transaction, reaction_type: str, actor: str, object_id: str
) -> Reaction | None:
    row = await db.fetch_one(
        "SELECT * FROM reactions WHERE type = ? AND actor = ? AND object_id = ?",
        (reaction_type, actor, object_id),
    )
    return None if row is None else from_row(Reaction, row)


async def remove(tx: Transaction, reaction: Reaction) -> bool:
    """Forget a reaction and uncount it; False if it was already gone."""
    changed = await tx.execute(
        "DELETE FROM reactions WHERE activity_id = ?", (reaction.activity_id,)
    )
    if changed:
        await objects.add_to_count(tx, reaction.object_id, reaction.type, -1)
    return changed > 0


async def remove_actor(tx: Transaction, actor: str) -> int:
    """Forget and uncount every reaction of a (deleted) actor."""
    rows = await tx.fetch_all("SELECT * FROM reactions WHERE actor = ?", (actor,))
    for row in rows:
        await remove(tx, from_row(Reaction, row))
    return len(rows)


async def count(db: Database | Transaction, reaction_type: str, object_id: str) -> int:
    row = await db.fetch_one(
        "SELECT count(*) FROM reactions WHERE type = ? AND object_id = ?",
        (reaction_type, object_id),
    )
    return 0 if row is None else int(row[0])


async def reactors(
    db: Database, reaction_type: str, object_id: str, page: Page
) -> list[tuple[int, str]]:
    """(reaction row id, actor) of who liked or announced `object_id`, newest first."""
    where, params, order = window("rowid", page)
    rows = await db.fetch_all(
        f"SELECT rowid, actor FROM reactions WHERE type = ? AND object_id = ? AND {where} {order}",
        (reaction_type, object_id, *params),
    )
    return [(int(r[0]), str(r[1])) for r in in_order(page, rows)]
