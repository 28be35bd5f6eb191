"""Questions about who we follow, for taking in other servers' listings."""

from __future__ import annotations

from fedishare.storage.database import Database, Transaction


async def followed_locally(db: Database | Transaction, base: str, actor: str) -> bool:
    """Whether one of our actors (their ids start with `base`/) follows `actor`, accepted."""
    prefix = base + "/"
    row = await db.fetch_one(
        "SELECT 1 FROM follows WHERE followee = ? AND state = 'accepted'"
        " AND substr(follower, 1, ?) = ? LIMIT 1",
        (actor, len(prefix), prefix),
    )
    return row is not None


async def unfollowed_listings_from(db: Database | Transaction, base: str, origin: str) -> list[str]:
    """Ids of the live listings kept from `origin` (scheme://host[:port]) whose author none
    of our actors follows: those that came only through a peer's Group."""
    prefix, ours = origin + "/", base + "/"
    rows = await db.fetch_all(
        "SELECT l.id FROM listings l WHERE l.remote = 1 AND l.deleted = 0"
        " AND substr(l.id, 1, ?) = ? AND NOT EXISTS (SELECT 1 FROM follows f"
        " WHERE f.followee = l.author AND f.state = 'accepted' AND substr(f.follower, 1, ?) = ?)",
        (len(prefix), prefix, len(ours), ours),
    )
    return [row["id"] for row in rows]
