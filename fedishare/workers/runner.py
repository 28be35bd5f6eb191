"""Running the background workers: delivery, inbox processing, expiry and retention.

Each worker runs until its `stop` event is set and keeps all its state in the database, so a
restart (or another process) resumes its work. A worker that raises is logged and started
again after a pause (fedishare.core.supervision): it never stops silently while the web
server goes on. `fedishare serve` runs them beside the web
app; `fedishare work` runs them alone, without building the app.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx

from fedishare.context import Instance
from fedishare.core.config import Config
from fedishare.core.supervision import supervise
from fedishare.core.types import Clock, utc_now
from fedishare.inbox.worker import hand_back_claims, run_inbox_worker
from fedishare.lifecycle import open_instance
from fedishare.listings.expiry import run_expiry_worker
from fedishare.remote.delivery import hand_back_claims as hand_back_deliveries
from fedishare.remote.delivery import run_delivery_worker
from fedishare.workers.heartbeat import run_heartbeat
from fedishare.workers.host_watch import run_host_watch
from fedishare.workers.presence import WorkersLock
from fedishare.workers.retention import run_retention_worker

# A background worker runs until `stop` is set; it must resume from the database alone.
Worker = Callable[[Instance, asyncio.Event], Coroutine[Any, Any, None]]

ALL_WORKERS: tuple[Worker, ...] = (
    run_delivery_worker,
    run_inbox_worker,
    run_expiry_worker,
    run_retention_worker,
    run_heartbeat,  # tells /readyz these workers are alive
    run_host_watch,  # logs hosts paused and resumed
)
STOP_TIMEOUT = 10.0  # seconds the workers get to finish what they started

log = logging.getLogger(__name__)


@asynccontextmanager
async def running(inst: Instance, workers: Sequence[Worker] = ALL_WORKERS) -> AsyncIterator[None]:
    """The workers run while inside, each supervised (restarted after a failure); at exit
    they are told to stop and waited for (those still busy after STOP_TIMEOUT are
    cancelled)."""
    lock = WorkersLock(inst.config.instance.database)
    try:
        if lock.alone():  # no worker runs anywhere: claims left in the database are a dead one's
            try:
                await hand_back_claims(inst)
                await hand_back_deliveries(inst)
            except Exception:  # a full or locked database: the leases run out instead
                log.exception("handing back the claims of stopped workers failed")
        await lock.share()
        async with _supervised(inst, workers):
            yield
    finally:
        lock.close()


@asynccontextmanager
async def _supervised(inst: Instance, workers: Sequence[Worker]) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(
            supervise(w.__qualname__, partial(w, inst, stop), stop), name=w.__qualname__
        )
        for w in workers
    ]
    try:
        yield
    finally:
        stop.set()
        inst.wake_delivery.set()
        inst.wake_inbox.set()
        done, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT) if tasks else (set(), set())
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]


async def work(
    config: Config,
    stop: asyncio.Event,
    *,
    started: Callable[[Instance], None] = lambda inst: None,
    http: httpx.AsyncClient | None = None,
    clock: Clock = utc_now,
) -> None:
    """Open the instance and run every worker until `stop` is set; `started` is called once
    they run."""
    async with open_instance(config, http=http, clock=clock) as inst, running(inst):
        started(inst)
        await stop.wait()
