"""Keeping a background task alive: a failure is logged and the task started again.

A worker loop that lets an exception escape ends, and with it the work it does (the inbox
is no longer processed, deliveries stop), while the web server goes on answering as if
nothing had happened. `supervise` runs such a loop, logs every exception it raises with its
traceback, and runs it again after a pause that doubles with each failure in a row (so a
full disk or a long-held lock is not hammered), until it returns or `stop` is set.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from fedishare.core.pause import pause

log = logging.getLogger(__name__)

FIRST_PAUSE_SECONDS = 1.0
MAX_PAUSE_SECONDS = 30.0


async def supervise(
    name: str,
    run: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    *,
    first_pause: float | None = None,
    max_pause: float | None = None,
) -> None:
    """Run `run()` until it returns or `stop` is set, again after each exception.

    The pause after a failure starts at `first_pause` and doubles up to `max_pause`
    (FIRST_PAUSE_SECONDS and MAX_PAUSE_SECONDS unless given); a run that lasted longer than
    `max_pause` before failing starts the count again. Cancellation is not a failure: it
    ends this at once.
    """
    first_pause = FIRST_PAUSE_SECONDS if first_pause is None else first_pause
    max_pause = MAX_PAUSE_SECONDS if max_pause is None else max_pause
    delay = first_pause
    while not stop.is_set():
        started = time.monotonic()
        try:
            await run()
            return
        except Exception:
            if time.monotonic() - started > max_pause:
                delay = first_pause
            log.exception("%s failed; starting it again in %g s", name, delay)
        await pause(stop, delay)
        delay = min(delay * 2, max_pause)
