"""Running the background workers: delivery, inbox processing, expiry and retention.

Each worker runs until its `stop` event is set and keeps all its state in the database, so a
restart (or another process) resumes its work. A worker that raises is logged and started
again after a pause (fedishare.core.supervision): it never stops silently while the web
server goes on. `fedishare serve` runs them beside the web
app; `fedishare work` runs them alone, without building the app, every queue's or only some
(`--queues`, `workers_for`): on PostgreSQL any number of processes, on any machines, share
the queues, as their claims are leases no two processes hold at once.
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
from fedishare.storage import notify
from fedishare.workers.heartbeat import run_heartbeat
from fedishare.workers.host_watch import run_host_watch
from fedishare.workers.presence import workers_present
from fedishare.workers.retention import run_retention_worker

# A background worker runs until `stop` is set; it must resume from the database alone.
Worker = Callable[[Instance, asyncio.Event], Coroutine[Any, Any, None]]

# What `fedishare work --queues` names, and the workers that run for each.
QUEUES: dict[str, tuple[Worker, ...]] = {
    "delivery": (run_delivery_worker, run_host_watch),  # host_watch logs hosts paused, resumed
    "inbox": (run_inbox_worker,),
    "expiry": (run_expiry_worker,),
    "retention": (run_retention_worker,),
}
EVERY_QUEUE = "all"
ALWAYS: tuple[Worker, ...] = (run_heartbeat,)  # tells /readyz these workers are alive
ALL_WORKERS: tuple[Worker, ...] = (
    *(worker for workers in QUEUES.values() for worker in workers),
    *ALWAYS,
)
STOP_TIMEOUT = 10.0  # seconds the workers get to finish what they started

log = logging.getLogger(__name__)


class UnknownQueue(ValueError):
    """A queue name `workers_for` does not know; the message lists those it does."""


def workers_for(queues: str) -> tuple[Worker, ...]:
    """The workers of `queues`, comma-separated names of QUEUES (or "all"), with those every
    process runs; UnknownQueue names what is not a queue."""
    names = [name.strip() for name in queues.split(",") if name.strip()]
    unknown = [name for name in names if name not in QUEUES and name != EVERY_QUEUE]
    if unknown or not names:
        raise UnknownQueue(
            f"unknown queue {', '.join(map(repr, unknown)) or '(none given)'}: the queues are"
            f" {', '.join(QUEUES)} (or {EVERY_QUEUE})"
        )
    if EVERY_QUEUE in names:
        return ALL_WORKERS
    chosen = [worker for name in QUEUES if name in names for worker in QUEUES[name]]
    return (*chosen, *ALWAYS)


@asynccontextmanager
async def running(inst: Instance, workers: Sequence[Worker] = ALL_WORKERS) -> AsyncIterator[None]:
    """The workers run while inside, each supervised (restarted after a failure); at exit
    they are told to stop and waited for (those still busy after STOP_TIMEOUT are
    cancelled)."""
    async with workers_present(inst.db, inst.config.instance.database) as presence:
        if await presence.alone():  # no worker runs anywhere: claims left are a dead one's
            try:
                await hand_back_claims(inst)
                await hand_back_deliveries(inst)
            except Exception:  # a full or locked database: the leases run out instead
                log.exception("handing back the claims of stopped workers failed")
        await presence.share()
        await presence.listen(
            {notify.INBOX: inst.wake_inbox.set, notify.DELIVERIES: inst.wake_delivery.set}
        )
        async with _supervised(inst, workers):
            yield


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
    workers: Sequence[Worker] = ALL_WORKERS,
) -> None:
    """Open the instance and run `workers` (every one unless told: `workers_for`) until
    `stop` is set; `started` is called once they run."""
    async with open_instance(config, http=http, clock=clock) as inst, running(inst, workers):
        started(inst)
        await stop.wait()
