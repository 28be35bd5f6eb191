"""Invites: one-time links that let someone become a member whatever the sign-up policy.
Only a hash of each code is stored."""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row


@dataclass(frozen=True)
class Invite:
    code_hash: str
    role: str  # what the new member becomes: 'member' | 'admin'
    created_by: int | None  # None: made from the command line or at start-up
    created_at: float
    expires_at: float
    used_by: int | None = None
    used_at: float | None = None


async def insert(tx: Transaction, invite: Invite) -> None:
    await tx.execute(
        "INSERT INTO invites (code_hash, role, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (invite.code_hash, invite.role, invite.created_by, invite.created_at, invite.expires_at),
    )


async def usable(db: Database | Transaction, code_hash: str, now: float) -> Invite | None:
    """The invite of a code, if it is neither used nor expired."""
    row = await db.fetch_one(
        "SELECT * FROM invites WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
        (code_hash, now),
    )
    return None if row is None else from_row(Invite, row)


async def use(tx: Transaction, code_hash: str, actor_id: int, now: float) -> bool:
    """Spend an invite on the member it made; False if it was used or has expired."""
    changed = await tx.execute(
        "UPDATE invites SET used_by = ?, used_at = ?"
        " WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
        (actor_id, now, code_hash, now),
    )
    return changed > 0


async def delete_unused(tx: Transaction, role: str) -> int:
    return await tx.execute("DELETE FROM invites WHERE role = ? AND used_at IS NULL", (role,))


async def outstanding(db: Database, now: float) -> list[Invite]:
    """Invites still usable, newest first."""
    rows = await db.fetch_all(
        "SELECT * FROM invites WHERE used_at IS NULL AND expires_at > ? ORDER BY created_at DESC",
        (now,),
    )
    return [from_row(Invite, r) for r in rows]
