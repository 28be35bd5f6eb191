"""Idempotency keys: an app that retries a post (a lost answer, a flaky phone network) sends
the same `Idempotency-Key` and gets back the status its first try made."""

from __future__ import annotations

from fedishare.storage.database import Database, Transaction


async def find(db: Database | Transaction, actor_id: int, key: str, since: float) -> str | None:
    """The status URI the member's `key` made at or after `since`, if any."""
    value = await db.fetch_one(
        "SELECT status_uri FROM idempotency_keys WHERE actor_id = ? AND key = ?"
        " AND created_at >= ?",
        (actor_id, key, since),
    )
    return None if value is None else str(value["status_uri"])


async def remember(tx: Transaction, actor_id: int, key: str, status_uri: str, now: float) -> None:
    """Record (or renew, once an old use has lapsed) the status a key made."""
    await tx.execute(
        "INSERT INTO idempotency_keys (actor_id, key, status_uri, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (actor_id, key) DO UPDATE SET status_uri = excluded.status_uri,"
        " created_at = excluded.created_at",
        (actor_id, key, status_uri, now),
    )


async def forget_before(tx: Transaction, before: float) -> int:
    """Drop keys older than `before`; they can no longer match."""
    return await tx.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (before,))
