"""`fedishare work`: the background workers (delivery, inbox processing, expiry, retention)
on their own.

Beside `fedishare serve --no-workers`, on the same instance.toml and database, this puts
the web server and the workers in two processes, so that each has a core: answering inbox
POSTs no longer shares one with processing them. The workers keep all their state in the
database; the only thing lost across processes is the instant wake-up, so they notice new
work within their poll intervals (about a second).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING

from fedishare import __version__
from fedishare.commands.serve import tune_gc
from fedishare.core.config import Config

if TYPE_CHECKING:
    from starlette.applications import Starlette


def cmd_work(config: Config) -> int:
    import uvloop

    from fedishare.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = create_app(config, workers=True)  # no I/O until its lifespan starts
    tune_gc()  # after the imports and the app, as `serve` does
    uvloop.run(_work(app, config))
    return 0


async def _work(app: Starlette, config: Config) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with app.router.lifespan_context(app):
        print(f"fedishare {__version__} working for {config.base_url}", file=sys.stderr)
        await stop.wait()
    print("workers stopped", file=sys.stderr)
