"""Follow relationships, in both directions, keyed by actor URI."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import chunks, from_row, marks


@dataclass(frozen=True)
class Follow:
    follower: str
    followee: str
    activity_id: str
    state: str  # 'pending' | 'accepted' | 'rejected'


async def upsert(
    tx: Transaction, follower: str, followee: str, activity_id: str, state: str, now: str
) -> None:
    """Record a Follow; a repeated Follow replaces the old id and state."""
    await tx.execute(
        "INSERT INTO follows (follower, followee, activity_id, state, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (follower, followee) DO UPDATE SET"
        " activity_id = excluded.activity_id, state = excluded.state,"
        " updated_at = excluded.updated_at",
        (follower, followee, activity_id, state, now, now),
    )


async def set_state(tx: Transaction, follower: str, followee: str, state: str, now: str) -> bool:
    changed = await tx.execute(
        "UPDATE follows SET state = ?, updated_at = ? WHERE follower = ? AND followee = ?",
        (state, now, follower, followee),
    )
    return changed > 0


async def remove(tx: Transaction, follower: str, followee: str) -> bool:
    return (
        await tx.execute(
            "DELETE FROM follows WHERE follower = ? AND followee = ?", (follower, followee)
        )
        > 0
    )


async def remove_actor(tx: Transaction, actor: str) -> int:
    """Forget every follow a (deleted) actor had, either way."""
    return await tx.execute(
        "DELETE FROM follows WHERE follower = ? OR followee = ?", (actor, actor)
    )


async def find(db: Database | Transaction, follower: str, followee: str) -> Follow | None:
    row = await db.fetch_one(
        "SELECT * FROM follows WHERE follower = ? AND followee = ?", (follower, followee)
    )
    return None if row is None else from_row(Follow, row)


async def is_accepted(db: Database | Transaction, follower: str, followee: str) -> bool:
    """Whether `follower` follows `followee`, the follow accepted."""
    found = await find(db, follower, followee)
    return found is not None and found.state == "accepted"


async def find_by_activity(db: Database | Transaction, activity_id: str) -> Follow | None:
    row = await db.fetch_one("SELECT * FROM follows WHERE activity_id = ?", (activity_id,))
    return None if row is None else from_row(Follow, row)


async def followers(
    db: Database, followee: str, *, limit: int, offset: int = 0, state: str = "accepted"
) -> list[str]:
    rows = await db.fetch_all(
        "SELECT follower FROM follows WHERE followee = ? AND state = ?"
        " ORDER BY id LIMIT ? OFFSET ?",
        (followee, state, limit, offset),
    )
    return [r[0] for r in rows]


async def following(
    db: Database, follower: str, *, limit: int, offset: int = 0, state: str | None = "accepted"
) -> list[Follow]:
    sql = "SELECT * FROM follows WHERE follower = ?"
    params: list[object] = [follower]
    if state is not None:
        sql += " AND state = ?"
        params.append(state)
    rows = await db.fetch_all(sql + " ORDER BY id LIMIT ? OFFSET ?", (*params, limit, offset))
    return [from_row(Follow, r) for r in rows]


async def count_followers(db: Database, followee: str) -> int:
    return int(
        await db.fetch_value(
            "SELECT count(*) FROM follows WHERE followee = ? AND state = 'accepted'",
            (followee,),
        )
    )


async def count_following(db: Database, follower: str) -> int:
    return int(
        await db.fetch_value(
            "SELECT count(*) FROM follows WHERE follower = ? AND state = 'accepted'",
            (follower,),
        )
    )


async def follower_inboxes(db: Database | Transaction, followee: str) -> list[str]:
    """One inbox per receiving server where it offers a shared inbox, else each actor's own:
    500 followers on one server cost one delivery."""
    rows = await db.fetch_all(
        "SELECT DISTINCT coalesce(r.shared_inbox, r.inbox) FROM follows f"
        " JOIN remote_actors r ON r.id = f.follower"
        " WHERE f.followee = ? AND f.state = 'accepted'",
        (followee,),
    )
    return [r[0] for r in rows]


async def followed_among(
    db: Database | Transaction, follower: str, followees: Collection[str]
) -> set[str]:
    """Those of `followees` that `follower` follows (accepted), in a read per few hundred."""
    found: set[str] = set()
    for chunk in chunks(sorted(followees)):
        rows = await db.fetch_all(
            f"SELECT followee FROM follows WHERE follower = ? AND followee IN ({marks(chunk)})"
            " AND state = 'accepted'",
            (follower, *chunk),
        )
        found |= {r[0] for r in rows}
    return found
