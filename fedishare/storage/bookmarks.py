"""A member's bookmarks: statuses kept for later, seen by nobody else and never federated.
Each has its own id, so that the list pages by when a status was bookmarked."""

from __future__ import annotations

from collections.abc import Sequence

from fedishare.core.paging import Page
from fedishare.storage.database import Database, Transaction
from fedishare.storage.paging import in_order, window
from fedishare.storage.rows import chunks, marks


async def add(tx: Transaction, actor_id: int, status_id: int, now: float) -> bool:
    """Bookmark a status; False if it already was."""
    changed = await tx.execute(
        "INSERT OR IGNORE INTO bookmarks (actor_id, status_id, created_at) VALUES (?, ?, ?)",
        (actor_id, status_id, now),
    )
    return changed > 0


async def remove(tx: Transaction, actor_id: int, status_id: int) -> bool:
    changed = await tx.execute(
        "DELETE FROM bookmarks WHERE actor_id = ? AND status_id = ?", (actor_id, status_id)
    )
    return changed > 0


async def bookmarked(
    db: Database | Transaction, actor_id: int, status_ids: Sequence[int]
) -> set[int]:
    """Which of `status_ids` the member bookmarked."""
    if not status_ids:
        return set()
    found: set[int] = set()
    for chunk in chunks(status_ids):
        rows = await db.fetch_all(
            f"SELECT status_id FROM bookmarks WHERE actor_id = ? AND status_id IN ({marks(chunk)})",
            (actor_id, *chunk),
        )
        found |= {int(row["status_id"]) for row in rows}
    return found


async def page_of(db: Database, actor_id: int, page: Page) -> list[tuple[int, int]]:
    """(bookmark id, status id) of one page of the member's bookmarks, newest first."""
    where, params, order = window("id", page)
    rows = await db.fetch_all(
        f"SELECT id, status_id FROM bookmarks WHERE actor_id = ? AND {where} {order}",
        (actor_id, *params),
    )
    return [(int(r["id"]), int(r["status_id"])) for r in in_order(page, rows)]
