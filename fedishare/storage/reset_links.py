"""Password-reset links that an admin makes for a member: one-time, short-lived, only a hash
of each code stored."""

from __future__ import annotations

from fedishare.storage.database import Database, Transaction


async def replace(
    tx: Transaction, code_hash: str, actor_id: int, now: float, expires_at: float
) -> None:
    """The member's new link; any earlier unused one stops working."""
    await tx.execute("DELETE FROM reset_links WHERE actor_id = ? AND used_at IS NULL", (actor_id,))
    await tx.execute(
        "INSERT INTO reset_links (code_hash, actor_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (code_hash, actor_id, now, expires_at),
    )


async def usable(db: Database | Transaction, code_hash: str, now: float) -> int | None:
    """The member (actor id) a link resets, if it is neither used nor expired."""
    row = await db.fetch_one(
        "SELECT actor_id FROM reset_links WHERE code_hash = ? AND used_at IS NULL"
        " AND expires_at > ?",
        (code_hash, now),
    )
    return None if row is None else int(row["actor_id"])


async def use(tx: Transaction, code_hash: str, now: float) -> int | None:
    """Spend a link; the member it resets, or None if it was used or has expired."""
    actor_id = await usable(tx, code_hash, now)
    if actor_id is not None:
        await tx.execute("UPDATE reset_links SET used_at = ? WHERE code_hash = ?", (now, code_hash))
    return actor_id
