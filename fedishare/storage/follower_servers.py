"""Whether a server hosts one of an actor's followers: who may fetch their followers-only
documents (`fedishare.http.signed_fetch`)."""

from __future__ import annotations

from fedishare.storage.database import Database, Transaction


async def has_follower_on(db: Database | Transaction, followee: str, origin: str) -> bool:
    """Whether an accepted follower of `followee` has an id under `origin`
    ("scheme://host[:port]/")."""
    row = await db.fetch_one(
        "SELECT 1 FROM follows WHERE followee = ? AND state = 'accepted'"
        " AND substr(follower, 1, ?) = ? LIMIT 1",
        (followee, len(origin), origin),
    )
    return row is not None
