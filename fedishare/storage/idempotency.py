"""Idempotency keys: an app that retries a post (a lost answer, a flaky phone network) sends
the same `Idempotency-Key` and gets back the status its first try made."""

from __future__ import annotations

from fedishare.storage.database import Database, Transaction


async def find(db: Database | Transaction, actor_id: int, key: str, since: float) -> str | None:
    """The status URI the member's `key` made at or after `since`, if any."""
    value = await db.fetch_one(
        "SELECT status_uri FROM idempotency_keys WHERE actor_id = ? AND key = ?"
        " AND created_at >= ? AND status_uri != ''",
        (actor_id, key, since),
    )
    return None if value is None else str(value["status_uri"])


PENDING = ""  # the status_uri of a key whose post is being made


async def reserve(
    tx: Transaction, actor_id: int, key: str, *, since: float, stale: float, now: float
) -> str | None:
    """Take `key` for a post about to be made, in the transaction that looks it up (so two
    tries at once cannot both take it). None when it is now ours to use; else what the key
    holds: the status URI an earlier try made (at or after `since`), or PENDING while that
    try is still at work. A reservation older than `stale` was abandoned (the process
    stopped mid-post) and is taken over."""
    found = await tx.fetch_one(
        "SELECT status_uri, created_at FROM idempotency_keys WHERE actor_id = ? AND key = ?",
        (actor_id, key),
    )
    if found is not None:
        uri, at = str(found["status_uri"]), float(found["created_at"])
        if (uri != PENDING and at >= since) or (uri == PENDING and at >= stale):
            return uri
    await remember(tx, actor_id, key, PENDING, now)
    return None


async def release(tx: Transaction, actor_id: int, key: str) -> None:
    """Give back a reservation whose post failed, so that a retry may make it."""
    await tx.execute(
        "DELETE FROM idempotency_keys WHERE actor_id = ? AND key = ? AND status_uri = ?",
        (actor_id, key, PENDING),
    )


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
