"""`fedishare queue retry HOST`: deliveries to a host tried again now, its pause lifted.

The host's count of failures in a row is kept: if it still fails, the next failure pauses it
again, for longer, as before the retry; one success resets it. Pending rows due within
LEASED_WITHIN seconds are left alone, as a worker may hold them (a claim moves `next_try` a
lease's length ahead, fedishare.storage.deliveries): making them due would send them twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.storage.database import Database

LEASED_WITHIN = 60.0  # more than a delivery lease (fedishare.remote.delivery.LEASE) lasts


@dataclass(frozen=True, slots=True)
class Retried:
    host: str
    was_paused: bool
    made_due: int  # pending deliveries now due


async def known_host(db: Database, host: str) -> bool:
    """Whether deliveries have ever gone (or wait to go) to `host`."""
    row = await db.fetch_one(
        "SELECT 1 WHERE EXISTS (SELECT 1 FROM delivery_hosts WHERE host = ?)"
        " OR EXISTS (SELECT 1 FROM deliveries WHERE host = ?)",
        (host, host),
    )
    return row is not None


async def retry_host(db: Database, host: str, now: float) -> Retried:
    """Lift `host`'s pause and make its waiting deliveries due at `now` (unix seconds)."""
    async with db.transaction() as tx:
        was_paused = (
            await tx.execute(
                "UPDATE delivery_hosts SET paused_until = 0 WHERE host = ? AND paused_until > ?",
                (host, now),
            )
            > 0
        )
        made_due = await tx.execute(
            "UPDATE deliveries SET next_try = ? WHERE host = ? AND state = 'pending'"
            " AND next_try > ?",
            (now, host, now + LEASED_WITHIN),
        )
    return Retried(host, was_paused, made_due)


async def known_hosts(db: Database, limit: int = 10) -> list[str]:
    """Some hosts deliveries went to, those with pending deliveries first: for a refusal."""
    rows = await db.fetch_all(
        "SELECT host FROM deliveries GROUP BY host"
        " ORDER BY sum(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) DESC, host LIMIT ?",
        (limit,),
    )
    return [str(r[0]) for r in rows]
