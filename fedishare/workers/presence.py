"""Whether any other process runs workers on this database: claims left by one that died.

A worker's claims are leases (fedishare.storage.inbox_items): while another process may be
working on an item, nobody else may take it until its lease runs out, so a worker killed in
the middle of a batch leaves the batch untouched for that long, and a restart would take the
items after it first. A process that runs workers holds a shared lock on a file beside the
database for as long as they run (the kernel lets go of it when the process dies, however it
dies). A process that can take that lock exclusively before its workers start knows that no
worker is running anywhere: every claim in the database is a dead process's, and can be
handed back at once, to be taken again in order.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path

SHARE_WAIT_SECONDS = 0.01  # another process is starting: it holds the lock for a moment


class WorkersLock:
    """The lock file of one database's workers (``DATABASE.workers``)."""

    def __init__(self, database: Path) -> None:
        self._fd = os.open(database.with_name(database.name + ".workers"), os.O_RDWR | os.O_CREAT)

    def alone(self) -> bool:
        """Take the lock exclusively if no other process holds it: True if taken (keep it
        while handing back claims, then `share`)."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    async def share(self) -> None:
        """Hold the lock shared while the workers run, beside other processes' workers."""
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                await asyncio.sleep(SHARE_WAIT_SECONDS)

    def close(self) -> None:
        os.close(self._fd)
