"""The expiry worker: every minute (and at start), listings whose time has come expire.

`service.expire_due` stores each expiry of ours and queues its Update (and the Group's
Announce) in one transaction, so a crash between the two cannot happen, and a run after a
crash or a restart simply finds what is still due. Other servers' listings expire here
quietly; their own server publishes the change.
"""

from __future__ import annotations

import asyncio
import logging

from fedishare.context import Instance
from fedishare.core.pause import pause
from fedishare.listings import service

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 60.0


async def run_expiry_worker(inst: Instance, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            changes = await service.expire_due(inst)
        except Exception:  # a busy database, say: the next round tries again
            log.exception("expiring listings failed")
        else:
            if changes:
                log.info("expired %d listing(s)", len(changes))
        await pause(stop, INTERVAL_SECONDS)
