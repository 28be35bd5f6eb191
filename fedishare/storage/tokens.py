"""Bearer tokens for members' clients. Only a hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from fedishare.storage.database import Database, Transaction


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def issue(db: Database, actor_id: int, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO access_tokens (token_hash, actor_id, created_at) VALUES (?, ?, ?)",
            (_hash(token), actor_id, now.isoformat(timespec="seconds")),
        )
    return token


async def actor_for(db: Database, token: str) -> int | None:
    """The local actor a token belongs to, if it is valid and the member is enabled."""
    value = await db.fetch_value(
        "SELECT t.actor_id FROM access_tokens t JOIN local_actors a ON a.id = t.actor_id"
        " WHERE t.token_hash = ? AND a.disabled = 0",
        (_hash(token),),
    )
    return None if value is None else int(value)


async def revoke_all(tx: Transaction, actor_id: int) -> int:
    """End every token of an actor (their account is deleted); how many ended."""
    return await tx.execute("DELETE FROM access_tokens WHERE actor_id = ?", (actor_id,))
