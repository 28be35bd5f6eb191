"""Bearer tokens for members' apps (OAuth access tokens). Only a hash of a token is stored."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fedishare.core.scopes import TOP
from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredToken:
    id: int
    app_id: int | None
    actor_id: int | None
    scopes: str
    created_at: float
    last_used_at: float | None
    app_name: str | None

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


_SELECT = (
    "SELECT t.id, t.app_id, t.actor_id, t.scopes, t.created_at, t.last_used_at,"
    " p.name AS app_name FROM oauth_tokens t LEFT JOIN oauth_apps p ON p.id = t.app_id"
)


async def insert(
    tx: Transaction,
    *,
    actor_id: int | None,
    app_id: int | None,
    scopes: Iterable[str],
    now: float,
) -> str:
    """A new token; the only time its text is seen."""
    token = secrets.token_urlsafe(32)
    await tx.execute(
        "INSERT INTO oauth_tokens (token_hash, app_id, actor_id, scopes, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (token_hash(token), app_id, actor_id, " ".join(dict.fromkeys(scopes)), now),
    )
    return token


async def find(db: Database | Transaction, token: str) -> StoredToken | None:
    """A token by its text, if its member (when it has one) is enabled."""
    row = await db.fetch_one(
        _SELECT + " LEFT JOIN local_actors a ON a.id = t.actor_id"
        " WHERE t.token_hash = ? AND (t.actor_id IS NULL OR a.disabled = 0)",
        (token_hash(token),),
    )
    return None if row is None else from_row(StoredToken, row)


async def of_actor(db: Database | Transaction, actor_id: int) -> list[StoredToken]:
    rows = await db.fetch_all(_SELECT + " WHERE t.actor_id = ? ORDER BY t.id", (actor_id,))
    return [from_row(StoredToken, row) for row in rows]


async def touch(tx: Transaction, token_id: int, now: float) -> None:
    await tx.execute("UPDATE oauth_tokens SET last_used_at = ? WHERE id = ?", (now, token_id))


async def delete(tx: Transaction, token_id: int) -> bool:
    return await tx.execute("DELETE FROM oauth_tokens WHERE id = ?", (token_id,)) > 0


async def delete_text(tx: Transaction, token: str) -> bool:
    return (
        await tx.execute("DELETE FROM oauth_tokens WHERE token_hash = ?", (token_hash(token),)) > 0
    )


async def revoke_all(tx: Transaction, actor_id: int) -> int:
    """End every token of an actor (their account is deleted); how many ended."""
    return await tx.execute("DELETE FROM oauth_tokens WHERE actor_id = ?", (actor_id,))


async def issue(db: Database, actor_id: int, now: datetime) -> str:
    """A token with every scope for a member (`fedishare account token`)."""
    async with db.transaction() as tx:
        return await insert(tx, actor_id=actor_id, app_id=None, scopes=TOP, now=now.timestamp())


async def actor_for(db: Database, token: str) -> int | None:
    """The local actor a token belongs to, if it is valid and the member is enabled."""
    found = await find(db, token)
    return None if found is None else found.actor_id
