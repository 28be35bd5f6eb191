"""Authorization codes between the consent page and `/oauth/token`: kept as hashes, used
once (taking a code deletes it in the same statement), short-lived."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fedishare.storage.database import Transaction
from fedishare.storage.rows import from_row


@dataclass(frozen=True)
class StoredCode:
    app_id: int
    actor_id: int
    redirect_uri: str
    scopes: str
    code_challenge: str | None
    created_at: float
    expires_at: float


async def insert(
    tx: Transaction,
    *,
    code_hash: str,
    app_id: int,
    actor_id: int,
    redirect_uri: str,
    scopes: Iterable[str],
    code_challenge: str | None,
    now: float,
    expires_at: float,
) -> None:
    await tx.execute(
        "INSERT INTO oauth_codes (code_hash, app_id, actor_id, redirect_uri, scopes,"
        " code_challenge, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            code_hash,
            app_id,
            actor_id,
            redirect_uri,
            " ".join(dict.fromkeys(scopes)),
            code_challenge,
            now,
            expires_at,
        ),
    )


async def take(tx: Transaction, code_hash: str) -> StoredCode | None:
    """The code with this hash, deleted as it is read: a second attempt finds nothing."""
    row = await tx.fetch_one(
        "DELETE FROM oauth_codes WHERE code_hash = ? RETURNING app_id, actor_id, redirect_uri,"
        " scopes, code_challenge, created_at, expires_at",
        (code_hash,),
    )
    return None if row is None else from_row(StoredCode, row)


async def purge_expired(tx: Transaction, now: float) -> int:
    """Forget codes nobody exchanged in time."""
    return await tx.execute("DELETE FROM oauth_codes WHERE expires_at <= ?", (now,))
