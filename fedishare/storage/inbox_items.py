"""The inbox queue: activities that passed verification, waiting to be processed.

States: received -> processed | failed. A worker claims due items by pushing their
``next_try`` one lease ahead (and counting the attempt) in one write transaction, so several
worker processes never claim the same item (on PostgreSQL, where they claim at once, with
``FOR UPDATE SKIP LOCKED``); an item whose worker died becomes due again when
the lease runs out, or at once when workers start and none runs elsewhere (`hand_back_all`).
A finished item (``processed_at`` set) is deleted ``[retention] finished_days`` later; until
then a redelivery of its activity is ignored. Times are unix seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from fedishare.storage.database import POSTGRESQL, Database, Transaction
from fedishare.storage.notify import INBOX, notify


class NewItem(NamedTuple):  # built for every inbox POST: cheaper than a dataclass
    activity_id: str
    actor: str
    recipient_id: int | None
    body: str  # the JSON text as received


@dataclass(frozen=True, slots=True)
class ClaimedItem:
    id: int
    actor: str
    recipient_id: int | None
    body: str
    attempts: int  # this attempt included


async def insert_many(tx: Transaction, items: Sequence[NewItem], now: float) -> None:
    """Queue ``items``; an activity id already queued (a replay) is left as it was."""
    await tx.executemany(
        "INSERT INTO inbox_items (activity_id, actor, recipient_id, body, next_try, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (activity_id) DO NOTHING",
        [(i.activity_id, i.actor, i.recipient_id, i.body, now, now) for i in items],
    )
    await notify(tx, INBOX)  # workers in other processes (PostgreSQL)


async def store_many(db: Database, items: Sequence[NewItem], now: float) -> None:
    """insert_many in a transaction of its own, committed when this returns."""
    async with db.transaction() as tx:
        await insert_many(tx, items, now)


# PostgreSQL: worker processes claim at once, each in its own transaction; the items one
# picks are locked until it commits, and another skips them (it neither waits nor takes
# them: once the first commits they are leased, which the row's second look sees). SQLite
# has one writer at a time: its claims follow one another.
_CLAIM_POSTGRESQL = (
    "UPDATE inbox_items SET attempts = attempts + 1, next_try = ?"
    " WHERE id IN (SELECT id FROM inbox_items WHERE state = 'received' AND next_try <= ?"
    " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)"
    " RETURNING id, actor, recipient_id, body, attempts"
)


async def claim_due(tx: Transaction, now: float, lease: float, limit: int) -> list[ClaimedItem]:
    """Claim up to ``limit`` due items, oldest first, until ``now + lease``."""
    if tx.dialect == POSTGRESQL:
        rows = await tx.fetch_all(_CLAIM_POSTGRESQL, (now + lease, now, limit))
    else:
        rows = await tx.fetch_all(
            "UPDATE inbox_items SET attempts = attempts + 1, next_try = ?"
            " WHERE id IN (SELECT id FROM inbox_items WHERE state = 'received' AND next_try <= ?"
            " ORDER BY id LIMIT ?)"
            " RETURNING id, actor, recipient_id, body, attempts",
            (now + lease, now, limit),
        )
    items = [ClaimedItem(r[0], r[1], r[2], r[3], r[4]) for r in rows]
    return sorted(items, key=lambda item: item.id)  # RETURNING has no defined order


async def extend_lease(tx: Transaction, ids: Sequence[int], until: float) -> None:
    await tx.executemany(
        "UPDATE inbox_items SET next_try = ? WHERE id = ? AND state = 'received'",
        [(until, i) for i in ids],
    )


async def mark_processed(tx: Transaction, ids: Sequence[int], now: float) -> None:
    await tx.executemany(
        "UPDATE inbox_items SET state = 'processed', processed_at = ?, error = NULL WHERE id = ?",
        [(now, i) for i in ids],
    )


async def mark_failed(tx: Transaction, failures: Sequence[tuple[int, str]], now: float) -> None:
    await tx.executemany(
        "UPDATE inbox_items SET state = 'failed', processed_at = ?, error = ? WHERE id = ?",
        [(now, error, i) for i, error in failures],
    )


async def retry_later(tx: Transaction, retries: Sequence[tuple[int, str, float]]) -> None:
    """(id, error, next_try) for attempts that failed but may succeed later."""
    await tx.executemany(
        "UPDATE inbox_items SET error = ?, next_try = ? WHERE id = ?",
        [(error, next_try, i) for i, error, next_try in retries],
    )


async def release(tx: Transaction, ids: Sequence[int], now: float) -> None:
    """Hand back claimed items that were not attempted (a worker stopping): due at once,
    and the claim's attempt not counted."""
    await tx.executemany(
        "UPDATE inbox_items SET attempts = attempts - 1, next_try = ?"
        " WHERE id = ? AND state = 'received'",
        [(now, i) for i in ids],
    )


async def hand_back_all(tx: Transaction, now: float) -> int:
    """Make every waiting item due at once: with no worker running, a lease is a dead
    worker's (fedishare.workers.presence). Items waiting to be retried are tried again now,
    early. Returns how many were not due."""
    return await tx.execute(
        "UPDATE inbox_items SET next_try = ? WHERE state = 'received' AND next_try > ?",
        (now, now),
    )


async def delete_finished(tx: Transaction, before: float, limit: int) -> int:
    """Delete up to ``limit`` processed or failed items finished before ``before``; return
    how many went."""
    return await tx.execute(
        "DELETE FROM inbox_items WHERE id IN (SELECT id FROM inbox_items INDEXED BY"
        " inbox_items_finished WHERE processed_at < ? AND state IN ('processed', 'failed')"
        " LIMIT ?)",
        (before, limit),
    )


async def count_by_state(db: Database) -> dict[str, int]:
    rows = await db.fetch_all("SELECT state, count(*) FROM inbox_items GROUP BY state")
    return {row[0]: row[1] for row in rows}
