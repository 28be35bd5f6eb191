"""What admins decide about single accounts: remote accounts blocked instance-wide, and
members suspended (who did it, when and why, for the admin pages; the account itself is
disabled in `local_actors`)."""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row


@dataclass(frozen=True)
class AccountBlock:
    uri: str
    reason: str
    created_at: float
    created_by: int | None  # the admin; None once their account is gone


@dataclass(frozen=True)
class Suspension:
    actor_id: int
    reason: str
    created_at: float
    created_by: int | None


async def insert_block(tx: Transaction, block: AccountBlock) -> bool:
    """Record a block; False if the account is blocked already."""
    changed = await tx.execute(
        "INSERT INTO remote_account_blocks (uri, reason, created_at, created_by)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (uri) DO NOTHING",
        (block.uri, block.reason, block.created_at, block.created_by),
    )
    return changed > 0


async def delete_block(tx: Transaction, uri: str) -> bool:
    return await tx.execute("DELETE FROM remote_account_blocks WHERE uri = ?", (uri,)) > 0


async def all_blocks(db: Database | Transaction) -> list[AccountBlock]:
    rows = await db.fetch_all("SELECT * FROM remote_account_blocks ORDER BY uri")
    return [from_row(AccountBlock, r) for r in rows]


async def blocked_uris(db: Database | Transaction) -> list[str]:
    return [r[0] for r in await db.fetch_all("SELECT uri FROM remote_account_blocks")]


async def pending_items_from(tx: Transaction, actor: str) -> list[int]:
    """Ids of the inbox items from `actor` not yet handled."""
    rows = await tx.fetch_all(
        "SELECT id FROM inbox_items WHERE state = 'received' AND actor = ?", (actor,)
    )
    return [int(r[0]) for r in rows]


async def insert_suspension(tx: Transaction, suspension: Suspension) -> bool:
    changed = await tx.execute(
        "INSERT INTO member_suspensions (actor_id, reason, created_at, created_by)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (actor_id) DO NOTHING",
        (suspension.actor_id, suspension.reason, suspension.created_at, suspension.created_by),
    )
    return changed > 0


async def delete_suspension(tx: Transaction, actor_id: int) -> bool:
    return await tx.execute("DELETE FROM member_suspensions WHERE actor_id = ?", (actor_id,)) > 0


async def find_suspension(db: Database | Transaction, actor_id: int) -> Suspension | None:
    row = await db.fetch_one("SELECT * FROM member_suspensions WHERE actor_id = ?", (actor_id,))
    return None if row is None else from_row(Suspension, row)


async def all_suspensions(db: Database | Transaction) -> list[Suspension]:
    rows = await db.fetch_all("SELECT * FROM member_suspensions ORDER BY created_at DESC")
    return [from_row(Suspension, r) for r in rows]
