"""The retention worker: at start and every hour, finished queue rows past their time go.

Processed and failed inbox items and delivered, failed and gone deliveries are deleted
`[retention] finished_days` after they finished; rows still waiting are never touched. Then
our published activities older than that go once no delivery row points at them and nothing
else needs them (`fedishare.storage.outbox`: the newest Create or Update of a live object stays,
for the outbox collection and its id).
Transactions run on the event loop (see fedishare.storage.database), so a backlog is deleted
CHUNK_ROWS at a time, each chunk a transaction of its own, with pauses between them: the
first run after a long time without one must not crowd out the inbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fedishare.context import Instance
from fedishare.core.pause import pause
from fedishare.statuses.posting import IDEMPOTENCY_WINDOW
from fedishare.storage import deliveries, idempotency, inbox_items, outbox
from fedishare.storage.database import Database, Transaction

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600.0
CHUNK_ROWS = 500  # about 10 ms of the event loop's time with bodies of a few KB
OUTBOX_WINDOW = 500  # outbox rows looked at per transaction (most are kept: cheap checks)
# After each full chunk, wait this many times as long as it took: a backlog takes at most a
# fifth of the event loop's time.
PAUSE_FACTOR = 4.0

DeleteFinished = Callable[[Transaction, float, int], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Pruned:
    inbox_items: int
    deliveries: int
    idempotency_keys: int = 0
    outbox_activities: int = 0

    def __bool__(self) -> bool:
        return bool(
            self.inbox_items or self.deliveries or self.idempotency_keys or self.outbox_activities
        )


async def run_retention_worker(inst: Instance, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            pruned = await prune_finished(inst, stop)
        except Exception:  # a busy database, say: the next round tries again
            log.exception("deleting finished queue rows failed")
        else:
            if pruned:
                log.info(
                    "deleted %d finished inbox item(s), %d finished delivery row(s) and"
                    " %d published activity(ies) no longer needed, older than %g days",
                    pruned.inbox_items,
                    pruned.deliveries,
                    pruned.outbox_activities,
                    inst.config.retention.finished_days,
                )
        await pause(stop, INTERVAL_SECONDS)


async def prune_finished(inst: Instance, stop: asyncio.Event | None = None) -> Pruned:
    """Delete the rows that finished more than `finished_days` ago (all of them, unless
    `stop` is set meanwhile)."""
    stop = stop if stop is not None else asyncio.Event()
    now = inst.clock().timestamp()
    before = now - inst.config.retention.finished_seconds
    pruned_items = await _in_chunks(inst.db, inbox_items.delete_finished, before, stop)
    pruned_deliveries = await _in_chunks(inst.db, deliveries.delete_finished, before, stop)
    # After the deliveries: an activity goes only once no delivery row points at it.
    pruned_outbox = await _prune_outbox(inst.db, before, stop)
    # Idempotency keys match for an hour; a few per post, so one statement clears them.
    async with inst.db.transaction() as tx:
        forgotten = await idempotency.forget_before(tx, now - IDEMPOTENCY_WINDOW.total_seconds())
    return Pruned(pruned_items, pruned_deliveries, forgotten, pruned_outbox)


async def _prune_outbox(db: Database, before: float, stop: asyncio.Event) -> int:
    """One pass over the activities published before `before`, a window at a time."""
    upto = await outbox.last_before(db, before)
    after, total = 0, 0
    while after < upto and not stop.is_set():
        started = time.monotonic()
        async with db.transaction() as tx:
            deleted, after = await outbox.delete_unneeded(
                tx, before=before, after=after, upto=upto, window=OUTBOX_WINDOW
            )
        total += deleted
        await pause(stop, (time.monotonic() - started) * PAUSE_FACTOR)
    return total


async def _in_chunks(
    db: Database, delete: DeleteFinished, before: float, stop: asyncio.Event
) -> int:
    total = 0
    while not stop.is_set():
        started = time.monotonic()
        async with db.transaction() as tx:
            deleted = await delete(tx, before, CHUNK_ROWS)
        total += deleted
        if deleted < CHUNK_ROWS:
            break
        await pause(stop, (time.monotonic() - started) * PAUSE_FACTOR)
    return total
