"""Waking the workers of other processes when work is queued (PostgreSQL's NOTIFY).

Within one process, whatever queues work sets the instance's wake-up event and its worker
starts at once. On PostgreSQL, the web processes and the workers may be processes on several
machines: a transaction that queues work also notifies a channel (`notify`), which the
server passes on when it commits, and each process running workers listens on it
(fedishare.storage.worker_presence) and sets its own event. A wake-up lost (a connection
dropping) only costs the wait until the worker's next look. SQLite's processes share a
machine and these wake-ups are not made there: its workers look every second.
"""

from __future__ import annotations

from fedishare.storage.database import POSTGRESQL, Transaction

INBOX = "fedishare_inbox"  # inbox items stored
DELIVERIES = "fedishare_deliveries"  # deliveries queued


async def notify(tx: Transaction, channel: str) -> None:
    """Wake the workers listening on `channel` when `tx` commits (several notifications of
    one transaction are one)."""
    if tx.dialect == POSTGRESQL:
        await tx.execute("SELECT pg_notify(?, '')", (channel,))
