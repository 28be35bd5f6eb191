"""The heartbeat worker: tells `/readyz` (in whichever process serves it) that the workers of
this process are alive (fedishare.storage.heartbeat)."""

from __future__ import annotations

import asyncio

from fedishare.context import Instance
from fedishare.core.pause import pause
from fedishare.storage.heartbeat import BEAT_SECONDS, beat


async def run_heartbeat(inst: Instance, stop: asyncio.Event) -> None:
    while not stop.is_set():
        beat(inst.config.instance.database)
        await pause(stop, BEAT_SECONDS)
