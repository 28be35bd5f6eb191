"""What changed lately in the status index, cheaply, for the streaming poller: a signature
of the statuses above an id (how many, the newest, how many deleted) that moves whenever
one is added or deleted there."""

from __future__ import annotations

from fedishare.storage.database import Database


async def signature(db: Database, above_id: int) -> tuple[int, int, int]:
    row = await db.fetch_one(
        "SELECT count(*), coalesce(max(id), 0), coalesce(sum(deleted), 0) FROM statuses"
        " WHERE id > ?",
        (above_id,),
    )
    return (0, 0, 0) if row is None else (int(row[0]), int(row[1]), int(row[2]))
