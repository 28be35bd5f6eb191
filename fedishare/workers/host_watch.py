"""One log line when deliveries to a host are paused, and one when it answers again.

The delivery worker pauses a host after HOST_FAILURES_BEFORE_PAUSE failed attempts in a row
and probes it now and then (fedishare.federation.backoff); its state is in the database
(`delivery_hosts`). This worker looks at it every WATCH_SECONDS and tells the operator of
each change once, rather than a line per failed attempt.
"""

from __future__ import annotations

import asyncio
import logging

from fedishare.context import Instance
from fedishare.core.pause import pause
from fedishare.federation.backoff import HOST_FAILURES_BEFORE_PAUSE
from fedishare.storage.queue_stats import StrugglingHost, struggling_hosts

WATCH_SECONDS = 10.0

log = logging.getLogger(__name__)


async def run_host_watch(inst: Instance, stop: asyncio.Event) -> None:
    known: dict[str, StrugglingHost] | None = None
    while not stop.is_set():
        try:
            paused = {
                h.host: h for h in await struggling_hosts(inst.db, HOST_FAILURES_BEFORE_PAUSE)
            }
        except Exception:  # a busy or closing database: the next look tries again
            log.exception("reading the delivery hosts' state failed")
        else:
            report(known, paused)
            known = paused
        await pause(stop, WATCH_SECONDS)


def report(known: dict[str, StrugglingHost] | None, paused: dict[str, StrugglingHost]) -> None:
    """Log what changed since `known` (None: at start, where what is paused is told once)."""
    if known is None:
        if paused:
            log.warning(
                "deliveries paused to %d host(s), probed now and then: %s",
                len(paused),
                ", ".join(sorted(paused)),
            )
        return
    for host in sorted(paused.keys() - known.keys()):
        h = paused[host]
        log.warning(
            "deliveries to %s paused after %d failed attempts in a row (last: %s);"
            " it is probed now and then",
            host,
            h.failures,
            h.last_error or "no error kept",
        )
    for host in sorted(known.keys() - paused.keys()):
        log.info("deliveries to %s resumed", host)
