"""Sign-up requests waiting for an admin (registration policy `approval`)."""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row


@dataclass(frozen=True)
class SignupRequest:
    id: int
    username: str
    password_hash: str  # emptied once the request is decided
    reason: str
    state: str  # 'pending' | 'approved' | 'rejected'
    created_at: float
    decided_at: float | None


async def insert(
    tx: Transaction, username: str, password_hash: str, reason: str, now: float
) -> int:
    """A new pending request; a refused request for the same name makes way for it."""
    await tx.execute(
        "DELETE FROM signup_requests WHERE username = ? AND state = 'rejected'", (username,)
    )
    return await tx.insert(
        "INSERT INTO signup_requests (username, password_hash, reason, created_at)"
        " VALUES (?, ?, ?, ?)",
        (username, password_hash, reason, now),
    )


async def get(db: Database | Transaction, request_id: int) -> SignupRequest | None:
    row = await db.fetch_one("SELECT * FROM signup_requests WHERE id = ?", (request_id,))
    return None if row is None else from_row(SignupRequest, row)


async def find_by_username(db: Database | Transaction, username: str) -> SignupRequest | None:
    """The request for a name (names compare without case)."""
    row = await db.fetch_one("SELECT * FROM signup_requests WHERE username = ?", (username,))
    return None if row is None else from_row(SignupRequest, row)


async def pending(db: Database) -> list[SignupRequest]:
    """Oldest first: the order an admin works through them."""
    rows = await db.fetch_all(
        "SELECT * FROM signup_requests WHERE state = 'pending' ORDER BY created_at, id"
    )
    return [from_row(SignupRequest, r) for r in rows]


async def count_pending(db: Database) -> int:
    return int(await db.fetch_value("SELECT count(*) FROM signup_requests WHERE state = 'pending'"))


async def decide(tx: Transaction, request_id: int, state: str, now: float) -> bool:
    """Approve or refuse a pending request (its password hash is no longer kept here);
    False if it was not pending."""
    changed = await tx.execute(
        "UPDATE signup_requests SET state = ?, decided_at = ?, password_hash = ''"
        " WHERE id = ? AND state = 'pending'",
        (state, now, request_id),
    )
    return changed > 0
