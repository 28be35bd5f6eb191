"""The live listings of one of our members, for deleting them all when the member is deleted
(`fedishare account delete`): ids only, counted before the first is withdrawn."""

from __future__ import annotations

from fedishare.storage.database import Database, Transaction


async def live_ids(db: Database | Transaction, author: str) -> list[str]:
    """The ids of `author`'s listings not yet deleted (any status or visibility), oldest first."""
    rows = await db.fetch_all(
        "SELECT id FROM listings WHERE author = ? AND remote = 0 AND deleted = 0 ORDER BY num",
        (author,),
    )
    return [row["id"] for row in rows]
