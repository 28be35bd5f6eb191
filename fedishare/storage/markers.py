"""Read positions (Mastodon's markers): the last status a member read in their home timeline
and the last notification, kept for every app they use. `version` counts the changes, as
apps use it to see whether another app moved the marker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row, marks

TIMELINES = ("home", "notifications")


@dataclass(frozen=True)
class Marker:
    timeline: str
    last_read_id: str
    version: int
    updated_at: str


async def of_actor(
    db: Database | Transaction, actor_id: int, timelines: Sequence[str] = TIMELINES
) -> list[Marker]:
    wanted = [t for t in timelines if t in TIMELINES]
    if not wanted:
        return []
    rows = await db.fetch_all(
        "SELECT timeline, last_read_id, version, updated_at FROM markers"
        f" WHERE actor_id = ? AND timeline IN ({marks(wanted)})"
        " ORDER BY timeline",
        (actor_id, *wanted),
    )
    return [from_row(Marker, r) for r in rows]


async def put(tx: Transaction, actor_id: int, timeline: str, last_read_id: str, now: str) -> None:
    """Move a marker (its version goes up by one), making it at version 1 the first time."""
    await tx.execute(
        "INSERT INTO markers (actor_id, timeline, last_read_id, version, updated_at)"
        " VALUES (?, ?, ?, 1, ?) ON CONFLICT (actor_id, timeline) DO UPDATE SET"
        " last_read_id = excluded.last_read_id, version = markers.version + 1,"
        " updated_at = excluded.updated_at",
        (actor_id, timeline, last_read_id, now),
    )
