"""Browser sessions: one row per signed-in browser, keyed by a hash of its cookie."""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row


@dataclass(frozen=True)
class WebSession:
    id_hash: str
    actor_id: int
    csrf_token: str
    created_at: float
    last_seen_at: float
    user_agent: str


async def insert(tx: Transaction, session: WebSession) -> None:
    await tx.execute(
        "INSERT INTO web_sessions (id_hash, actor_id, csrf_token, created_at, last_seen_at,"
        " user_agent) VALUES (?, ?, ?, ?, ?, ?)",
        (
            session.id_hash,
            session.actor_id,
            session.csrf_token,
            session.created_at,
            session.last_seen_at,
            session.user_agent,
        ),
    )


async def get(db: Database, id_hash: str) -> WebSession | None:
    row = await db.fetch_one("SELECT * FROM web_sessions WHERE id_hash = ?", (id_hash,))
    return None if row is None else from_row(WebSession, row)


async def touch(tx: Transaction, id_hash: str, now: float) -> None:
    await tx.execute("UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?", (now, id_hash))


async def delete(tx: Transaction, id_hash: str) -> None:
    await tx.execute("DELETE FROM web_sessions WHERE id_hash = ?", (id_hash,))


async def delete_for_actor(tx: Transaction, actor_id: int, *, keep: str | None = None) -> int:
    """End every session of an actor (but `keep`, the one asking); how many ended."""
    return await tx.execute(
        "DELETE FROM web_sessions WHERE actor_id = ? AND id_hash != ?", (actor_id, keep or "")
    )


async def for_actor(db: Database, actor_id: int) -> list[WebSession]:
    rows = await db.fetch_all(
        "SELECT * FROM web_sessions WHERE actor_id = ? ORDER BY last_seen_at DESC", (actor_id,)
    )
    return [from_row(WebSession, r) for r in rows]


async def delete_idle(tx: Transaction, before: float) -> int:
    return await tx.execute("DELETE FROM web_sessions WHERE last_seen_at < ?", (before,))


async def delete_of_actor(tx: Transaction, actor_id: int, id_hash: str) -> bool:
    """End one session, if it is the actor's; whether it was."""
    changed = await tx.execute(
        "DELETE FROM web_sessions WHERE id_hash = ? AND actor_id = ?", (id_hash, actor_id)
    )
    return changed > 0
