"""A member's blocks and mutes of other accounts (actor URIs, ours or other servers').

A block keeps the id of the Block we sent, so that its Undo can embed it. A mute is ours
alone; `expires_at` (unix seconds) ends it, NULL keeps it. Timelines and notifications ask
`hidden_authors` whom to leave out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedishare.core.paging import Page
from fedishare.storage.database import Database, Transaction
from fedishare.storage.paging import in_order, window
from fedishare.storage.rows import chunks, from_row, marks


@dataclass(frozen=True)
class Block:
    id: int
    actor_id: int
    target: str
    activity_id: str
    created_at: float


@dataclass(frozen=True)
class Mute:
    id: int
    actor_id: int
    target: str
    notifications: bool
    expires_at: float | None
    created_at: float


async def add_block(
    tx: Transaction, actor_id: int, target: str, activity_id: str, now: float
) -> None:
    """Record a block; blocking again keeps the first one (and its Block)."""
    await tx.execute(
        "INSERT OR IGNORE INTO account_blocks (actor_id, target, activity_id, created_at)"
        " VALUES (?, ?, ?, ?)",
        (actor_id, target, activity_id, now),
    )


async def remove_block(tx: Transaction, actor_id: int, target: str) -> Block | None:
    """Forget a block; the block as it was, or None if there was none."""
    row = await tx.fetch_one(
        "SELECT * FROM account_blocks WHERE actor_id = ? AND target = ?", (actor_id, target)
    )
    if row is None:
        return None
    await tx.execute("DELETE FROM account_blocks WHERE id = ?", (row["id"],))
    return from_row(Block, row)


async def find_block(db: Database | Transaction, actor_id: int, target: str) -> Block | None:
    row = await db.fetch_one(
        "SELECT * FROM account_blocks WHERE actor_id = ? AND target = ?", (actor_id, target)
    )
    return None if row is None else from_row(Block, row)


async def blocked(db: Database | Transaction, actor_id: int, targets: Sequence[str]) -> set[str]:
    """Which of `targets` the member blocks."""
    found: set[str] = set()
    for chunk in chunks(targets):
        rows = await db.fetch_all(
            f"SELECT target FROM account_blocks WHERE actor_id = ? AND target IN ({marks(chunk)})",
            (actor_id, *chunk),
        )
        found |= {r[0] for r in rows}
    return found


async def blockers(db: Database | Transaction, target: str) -> set[int]:
    """Our members who block `target` (for Mastodon's `blocked_by`)."""
    rows = await db.fetch_all("SELECT actor_id FROM account_blocks WHERE target = ?", (target,))
    return {int(r[0]) for r in rows}


async def blocks_page(db: Database, actor_id: int, page: Page) -> list[Block]:
    """The member's blocks, newest first, paged by row id."""
    where, params, order = window("id", page)
    rows = await db.fetch_all(
        f"SELECT * FROM account_blocks WHERE actor_id = ? AND {where} {order}",
        (actor_id, *params),
    )
    return [from_row(Block, r) for r in in_order(page, rows)]


async def add_mute(
    tx: Transaction,
    actor_id: int,
    target: str,
    *,
    notifications: bool,
    expires_at: float | None,
    now: float,
) -> None:
    """Mute an account, or change an existing mute's terms."""
    await tx.execute(
        "INSERT INTO account_mutes (actor_id, target, notifications, expires_at, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (actor_id, target) DO UPDATE SET"
        " notifications = excluded.notifications, expires_at = excluded.expires_at",
        (actor_id, target, int(notifications), expires_at, now),
    )


async def remove_mute(tx: Transaction, actor_id: int, target: str) -> bool:
    changed = await tx.execute(
        "DELETE FROM account_mutes WHERE actor_id = ? AND target = ?", (actor_id, target)
    )
    return changed > 0


_LIVE = "(expires_at IS NULL OR expires_at > ?)"


async def muted(
    db: Database | Transaction, actor_id: int, targets: Sequence[str], now: float
) -> dict[str, Mute]:
    """The member's live mutes of any of `targets`, by target."""
    found: dict[str, Mute] = {}
    for chunk in chunks(targets):
        rows = await db.fetch_all(
            f"SELECT * FROM account_mutes WHERE actor_id = ? AND {_LIVE}"
            f" AND target IN ({marks(chunk)})",
            (actor_id, now, *chunk),
        )
        found |= {r["target"]: from_row(Mute, r) for r in rows}
    return found


async def mutes_page(db: Database, actor_id: int, page: Page, now: float) -> list[Mute]:
    """The member's live mutes, newest first, paged by row id."""
    where, params, order = window("id", page)
    rows = await db.fetch_all(
        f"SELECT * FROM account_mutes WHERE actor_id = ? AND {_LIVE} AND {where} {order}",
        (actor_id, now, *params),
    )
    return [from_row(Mute, r) for r in in_order(page, rows)]


async def silenced_for_notifications(
    db: Database | Transaction, actor_id: int, now: float
) -> set[str]:
    """The accounts the member hears nothing from: those they block and those they mute
    with `notifications` (live at `now`). A mute without it still lets notifications
    through, as Mastodon's does."""
    rows = await db.fetch_all(
        "SELECT target FROM account_blocks WHERE actor_id = ?"
        " UNION SELECT target FROM account_mutes WHERE actor_id = ? AND notifications = 1"
        f" AND {_LIVE}",
        (actor_id, actor_id, now),
    )
    return {r[0] for r in rows}


async def hidden_authors(
    db: Database | Transaction, actor_id: int, now: float | None = None
) -> set[str]:
    """The accounts whose statuses and notifications the member must not see: those they
    block and those they mute (mutes that expired before `now` left out; without `now`,
    every mute counts)."""
    rows = await db.fetch_all(
        "SELECT target FROM account_blocks WHERE actor_id = ?"
        " UNION SELECT target FROM account_mutes WHERE actor_id = ?"
        " AND (expires_at IS NULL OR expires_at > ?)",
        (actor_id, actor_id, -1.0 if now is None else now),
    )
    return {r[0] for r in rows}
