"""Members' notifications: one row per event (a follow, a mention, a favourite...), with an
id that sorts by time (a snowflake, as Mastodon's ids are), so that apps page and mark them
read by id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fedishare.core.paging import Page
from fedishare.core.snowflake import snowflake
from fedishare.storage.database import POSTGRESQL, Database, Transaction
from fedishare.storage.paging import in_order, window
from fedishare.storage.rows import from_row, marks


@dataclass(frozen=True)
class Notification:
    id: int
    recipient_id: int
    type: str
    from_actor: str
    status_id: int | None
    created_at: str


@dataclass(frozen=True)
class Filter:
    """Which of a member's notifications a list (or count) takes."""

    types: Sequence[str] = ()  # only these, when given
    exclude_types: Sequence[str] = ()
    from_actor: str | None = None


EVERY = Filter()  # no filter: every notification

_COLUMNS = "id, recipient_id, type, from_actor, status_id, created_at"


_ID_LOCK = 0x6E6F7469  # pg_advisory_xact_lock key of notification ids (PostgreSQL)


async def insert(
    tx: Transaction,
    *,
    recipient_id: int,
    type: str,
    from_actor: str,
    status_id: int | None,
    at: datetime,
) -> int | None:
    """Record one notification; None if the same event was recorded before. Ids grow even
    when two come in the same millisecond, in the order their transactions commit (the
    streaming API reads new ones after the last id it saw): SQLite's writes are serialised;
    on PostgreSQL, where several processes write at once, a lock held until the commit
    serialises these inserts, so the max is safe there too."""
    if tx.dialect == POSTGRESQL:
        await tx.execute("SELECT pg_advisory_xact_lock(?)", (_ID_LOCK,))
    row = await tx.fetch_one("SELECT coalesce(max(id), 0) FROM notifications")
    new_id = max(snowflake(at, 0), (0 if row is None else int(row[0])) + 1)
    changed = await tx.execute(
        "INSERT INTO notifications (id, recipient_id, type, from_actor, status_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (new_id, recipient_id, type, from_actor, status_id, at.isoformat(timespec="milliseconds")),
    )
    return new_id if changed else None


def _filtered(recipient_id: int, which: Filter) -> tuple[str, list[Any]]:
    where = ["recipient_id = ?", "dismissed = 0"]
    params: list[Any] = [recipient_id]
    if which.types:
        where.append(f"type IN ({marks(which.types)})")
        params += list(which.types)
    if which.exclude_types:
        where.append(f"type NOT IN ({marks(which.exclude_types)})")
        params += list(which.exclude_types)
    if which.from_actor is not None:
        where.append("from_actor = ?")
        params.append(which.from_actor)
    return " AND ".join(where), params


async def page_of(
    db: Database, recipient_id: int, page: Page, which: Filter = EVERY
) -> list[Notification]:
    """One page of a member's notifications (not dismissed), newest first."""
    where, params = _filtered(recipient_id, which)
    paged, paging, order = window("id", page)
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM notifications WHERE {where} AND {paged} {order}",
        [*params, *paging],
    )
    return in_order(page, [from_row(Notification, r) for r in rows])


async def get(db: Database | Transaction, recipient_id: int, id: int) -> Notification | None:
    row = await db.fetch_one(
        f"SELECT {_COLUMNS} FROM notifications WHERE id = ? AND recipient_id = ? AND dismissed = 0",
        (id, recipient_id),
    )
    return None if row is None else from_row(Notification, row)


async def dismiss(tx: Transaction, recipient_id: int, id: int) -> bool:
    """Hide one notification for good (a redelivered activity does not bring it back)."""
    changed = await tx.execute(
        "UPDATE notifications SET dismissed = 1 WHERE id = ? AND recipient_id = ?",
        (id, recipient_id),
    )
    return changed > 0


async def clear(tx: Transaction, recipient_id: int) -> int:
    return await tx.execute(
        "UPDATE notifications SET dismissed = 1 WHERE recipient_id = ? AND dismissed = 0",
        (recipient_id,),
    )


async def count_after(
    db: Database, recipient_id: int, after_id: int, which: Filter = EVERY, *, most: int = 1000
) -> int:
    """How many notifications (at most `most`) are newer than `after_id`."""
    where, params = _filtered(recipient_id, which)
    value = await db.fetch_value(
        f"SELECT count(*) FROM (SELECT 1 FROM notifications WHERE {where} AND id > ?"
        f" LIMIT {most:d}) AS newer",
        [*params, after_id],
    )
    return int(value or 0)


async def newer_than(db: Database, after_id: int, *, limit: int = 200) -> list[Notification]:
    """Every member's notifications newer than `after_id`, oldest first (for streaming)."""
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM notifications WHERE id > ? AND dismissed = 0"
        f" ORDER BY id LIMIT {limit:d}",
        (after_id,),
    )
    return [from_row(Notification, r) for r in rows]


async def newest_id(db: Database) -> int:
    return int(await db.fetch_value("SELECT coalesce(max(id), 0) FROM notifications") or 0)


async def remove(
    tx: Transaction, recipient_id: int, type: str, from_actor: str, status_id: int | None = None
) -> int:
    """Delete a member's notifications of one event (whether dismissed or not), as Mastodon
    deletes a notification whose cause is gone; how many there were."""
    return await tx.execute(
        "DELETE FROM notifications WHERE recipient_id = ? AND type = ? AND from_actor = ?"
        " AND coalesce(status_id, 0) = ?",
        (recipient_id, type, from_actor, status_id or 0),
    )


async def renew(
    tx: Transaction,
    *,
    recipient_id: int,
    type: str,
    from_actor: str,
    status_id: int | None,
    at: datetime,
) -> int | None:
    """Record an event that may happen again (another edit of a status): the earlier
    notification of it gives way to a new one, on top of the list, even if dismissed."""
    await remove(tx, recipient_id, type, from_actor, status_id)
    return await insert(
        tx, recipient_id=recipient_id, type=type, from_actor=from_actor, status_id=status_id, at=at
    )
