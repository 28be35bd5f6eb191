"""The heartbeat worker: tells `/readyz` (in whichever process serves it) that the workers of
this process are alive (fedishare.storage.heartbeat).

On PostgreSQL the workers' lock, which every process running workers holds on the server
while they run (fedishare.storage.worker_presence), says it instead: there is no file that
processes on several machines share, and nothing to beat."""

from __future__ import annotations

import asyncio

from fedishare.context import Instance
from fedishare.core.pause import pause
from fedishare.storage.database import SQLITE
from fedishare.storage.heartbeat import BEAT_SECONDS, beat


async def run_heartbeat(inst: Instance, stop: asyncio.Event) -> None:
    if inst.db.dialect != SQLITE:
        await stop.wait()
        return
    while not stop.is_set():
        beat(inst.config.instance.database)
        await pause(stop, BEAT_SECONDS)
