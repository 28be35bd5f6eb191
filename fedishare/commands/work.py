"""`fedishare work`: the background workers (delivery, inbox processing, expiry, retention)
on their own.

Beside `fedishare serve --no-workers`, on the same instance.toml and database, this puts
the web server and the workers in two processes, so that each has a core: answering inbox
POSTs no longer shares one with processing them. The workers keep all their state in the
database. On SQLite the only thing lost across processes is the instant wake-up, so they
notice new work within their poll intervals (about a second); on PostgreSQL work queued in
another process wakes them through the server (fedishare.storage.notify).

`--queues inbox,delivery` runs only those queues' workers (`fedishare.workers.runner.QUEUES`),
so that, on PostgreSQL, processes on several machines can each take some of the work.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence

import uvloop

from fedishare import __version__
from fedishare.commands.errors import CommandError
from fedishare.commands.gc_tuning import tune_gc
from fedishare.commands.logging_setup import setup_logging
from fedishare.commands.serving_lock import hold_while_serving
from fedishare.context import Instance
from fedishare.core.config import Config
from fedishare.reload import Reloader
from fedishare.workers.runner import EVERY_QUEUE, UnknownQueue, Worker, work, workers_for

log = logging.getLogger("fedishare.work")


def cmd_work(config: Config, queues: str = EVERY_QUEUE) -> int:
    """Run the workers of `queues` (comma-separated names, or "all"); an unknown name is
    refused (CommandError) before anything starts."""
    try:
        workers = workers_for(queues)
    except UnknownQueue as exc:
        raise CommandError(str(exc)) from None
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until started: see cmd_serve
    # As `serve` holds it: refused while `fedishare restore` replaces the SQLite file (the
    # workers would go on with the file being replaced), and restore refuses meanwhile.
    if config.database.is_sqlite or not config.database.url:
        hold_while_serving(config.instance.database)
    setup_logging(config.logging)
    tune_gc()  # after the imports, as `serve` does
    uvloop.run(_work(config, workers, queues))
    return 0


async def _work(config: Config, workers: Sequence[Worker], queues: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    reloaders: list[Reloader] = []  # SIGHUP reloads instance.toml (fedishare.reload)

    def started(inst: Instance) -> None:
        reloaders.append(Reloader(inst))
        reloaders[0].install()
        log.info("fedishare %s working for %s (queues: %s)", __version__, config.base_url, queues)

    try:
        await work(config, stop, started=started, workers=workers)
    finally:
        for reloader in reloaders:
            await reloader.close()
    log.info("workers stopped")
