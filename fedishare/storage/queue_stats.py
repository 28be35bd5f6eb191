"""How full the queues are, read from the database: what `/metrics` and `queue status` show.

The numbers come from the tables every process shares, so they are true for the whole
instance however many processes serve and work. Two queues: ``inbox`` (activities received
and not yet processed) and ``deliveries`` (activities not yet delivered to an inbox). An
item's age counts from when it entered its queue: an inbox item's ``received_at``, a
delivery's activity's ``created_at`` (0 on rows older than that column: those are left out
of the age, as their time is unknown). Times are unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from fedishare.storage.database import Database, Row


@dataclass(frozen=True, slots=True)
class QueueStat:
    name: str  # "inbox" or "deliveries"
    depth: int  # items waiting, leased ones included
    oldest_age_seconds: float | None  # None: the queue is empty (or its ages are unknown)


class PausedHost(NamedTuple):
    host: str
    until: float  # unix seconds
    reason: str  # the last error that counted towards the pause ("" if none was kept)


async def queue_stats(db: Database, now: float) -> list[QueueStat]:
    """Depth and oldest item's age of each queue, in a fixed order (inbox, deliveries)."""
    inbox = await db.fetch_one(
        "SELECT count(*), min(received_at) FROM inbox_items WHERE state = 'received'"
    )
    deliveries = await db.fetch_one(
        "SELECT count(*), min(nullif(a.created_at, 0)) FROM deliveries d"
        " JOIN outbox_activities a ON a.id = d.activity_rowid WHERE d.state = 'pending'"
    )
    return [_stat("inbox", inbox, now), _stat("deliveries", deliveries, now)]


def _stat(name: str, row: Row | None, now: float) -> QueueStat:
    depth, oldest = (row[0], row[1]) if row is not None else (0, None)
    age = None if oldest is None or not depth else max(0.0, now - float(oldest))
    return QueueStat(name, int(depth), age)


async def paused_hosts(db: Database, now: float) -> list[PausedHost]:
    """Hosts that deliveries leave alone until a time still ahead, the latest first."""
    rows = await db.fetch_all(
        "SELECT host, paused_until, coalesce(last_error, '') FROM delivery_hosts"
        " WHERE paused_until > ? ORDER BY paused_until DESC, host",
        (now,),
    )
    return [PausedHost(str(r[0]), float(r[1]), str(r[2])) for r in rows]


async def deliveries_by_state(db: Database) -> dict[str, int]:
    """Delivery rows kept, by state (pending, delivered, failed, gone): every state is
    present, 0 when none. Finished rows go after [retention] finished_days."""
    rows = await db.fetch_all("SELECT state, count(*) FROM deliveries GROUP BY state")
    counts = dict.fromkeys(("pending", "delivered", "failed", "gone"), 0)
    counts.update({str(r[0]): int(r[1]) for r in rows})
    return counts


async def inbox_by_state(db: Database) -> dict[str, int]:
    """Inbox items kept, by state (received, processed, failed), 0 when none."""
    rows = await db.fetch_all("SELECT state, count(*) FROM inbox_items GROUP BY state")
    counts = dict.fromkeys(("received", "processed", "failed"), 0)
    counts.update({str(r[0]): int(r[1]) for r in rows})
    return counts


class StrugglingHost(NamedTuple):
    host: str
    failures: int  # failed attempts in a row
    last_error: str


async def struggling_hosts(db: Database, min_failures: int) -> list[StrugglingHost]:
    """Hosts whose last `min_failures` attempts or more all failed (paused or being probed)."""
    rows = await db.fetch_all(
        "SELECT host, failures, coalesce(last_error, '') FROM delivery_hosts"
        " WHERE failures >= ? ORDER BY host",
        (min_failures,),
    )
    return [StrugglingHost(str(r[0]), int(r[1]), str(r[2])) for r in rows]
