"""Storing received activities durably, fast: one writer task commits them in batches.

A commit costs far more than an insert, so committing per request caps the inbox at a
couple of thousand activities a second. Here every request hands its row to the writer and
waits; the writer inserts everything that arrived since its last commit in one transaction
(a group commit). A request is answered only after its batch has committed, so a 202 still
means stored. No artificial delay: a lone request is written at once.

A batch the database cannot take (a full disk, a lock held by another process for too long:
`Unwritable`) is refused whole at once, and each request gets StoreUnavailable caused by it
(answered 503 with its Retry-After); once space returns the next batch is written as usual.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fedishare.core.types import Clock
from fedishare.storage import inbox_items
from fedishare.storage.database import Database, Unwritable
from fedishare.storage.inbox_items import NewItem

MAX_BATCH = 1000

log = logging.getLogger(__name__)


class StoreUnavailable(Exception):
    """The writer is stopped, or its batch could not be committed."""


class InboxWriter:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        on_commit: Callable[[], None] = lambda: None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._db = db
        self._clock = clock
        self._on_commit = on_commit
        self._max_batch = max_batch
        self._pending: list[tuple[NewItem, asyncio.Future[None]]] = []
        self._ready = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    async def store(self, item: NewItem) -> None:
        """Return once ``item`` is committed (or was there already)."""
        if self._closing or self._task is None:
            raise StoreUnavailable("the inbox is not accepting activities")
        done = self._task.get_loop().create_future()
        self._pending.append((item, done))
        self._ready.set()
        await done

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-writer")

    async def close(self) -> None:
        """Write what is queued, then stop."""
        self._closing = True
        self._ready.set()
        try:
            if self._task is not None:
                await self._task
        finally:
            for _, done in self._pending:
                if not done.done():
                    done.set_exception(StoreUnavailable("the inbox stopped before storing"))
            self._pending.clear()

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                try:
                    await self._write(batch)
                except Exception as exc:  # never end silently: requests would wait for ever
                    log.exception("the inbox writer failed on a batch of %d", len(batch))
                    _fail(batch, exc)
            if self._closing:
                return

    async def _write(self, batch: list[tuple[NewItem, asyncio.Future[None]]]) -> None:
        try:
            await inbox_items.store_many(self._db, [item for item, _ in batch], self._now())
        except Exception as exc:
            if len(batch) > 1 and not isinstance(exc, Unwritable):
                # One bad row must not fail the others: write them one by one. (Not when
                # the database takes no writes at all: each would wait and fail alike.)
                for one in batch:
                    await self._write([one])
                return
            log.warning("storing %d inbox activities failed: %s", len(batch), exc)
            _fail(batch, exc)
            return
        for _, done in batch:
            if not done.done():  # a request that gave up waiting was cancelled
                done.set_result(None)
        self._on_commit()

    def _now(self) -> float:
        return self._clock().timestamp()


def _fail(batch: list[tuple[NewItem, asyncio.Future[None]]], exc: Exception) -> None:
    for _, done in batch:
        if not done.done():  # a request that gave up waiting was cancelled
            refusal = StoreUnavailable(f"storing failed: {exc}")
            refusal.__cause__ = exc  # its Retry-After, if it has one (a full disk)
            done.set_exception(refusal)


@asynccontextmanager
async def running_writer(
    db: Database, clock: Clock, on_commit: Callable[[], None] = lambda: None
) -> AsyncIterator[InboxWriter]:
    writer = InboxWriter(db, clock, on_commit)
    writer.start()
    try:
        yield writer
    finally:
        await writer.close()
