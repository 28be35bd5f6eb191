"""Whether any other process runs workers on this database: claims left by one that died.

A worker's claims are leases (fedishare.storage.inbox_items): while another process may be
working on an item, nobody else may take it until its lease runs out, so a worker killed in
the middle of a batch leaves the batch untouched for that long, and a restart would take the
items after it first. A process that runs workers holds a shared lock on a file beside the
database for as long as they run (the kernel lets go of it when the process dies, however it
dies). A process that can take that lock exclusively before its workers start knows that no
worker is running anywhere: every claim in the database is a dead process's, and can be
handed back at once, to be taken again in order.

On PostgreSQL, whose workers may run on several machines, the lock is an advisory lock of
the server's instead (fedishare.storage.worker_presence): `workers_present` gives the one the
database calls for.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

from fedishare.storage.database import SQLITE, Database

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


class Presence(Protocol):
    """The workers' lock as the runner uses it, whichever database: `alone` at start, then
    `share` while the workers run."""

    async def alone(self) -> bool: ...
    async def share(self) -> None: ...
    async def listen(self, wake: Mapping[str, Callable[[], None]]) -> None:
        """Call `wake[channel]` when another process queues work (fedishare.storage.notify)."""


class _FilePresence:
    def __init__(self, lock: WorkersLock) -> None:
        self._lock = lock

    async def alone(self) -> bool:
        return self._lock.alone()

    async def share(self) -> None:
        await self._lock.share()

    async def listen(self, wake: Mapping[str, Callable[[], None]]) -> None:
        return None  # SQLite's workers look every second: no wake-ups between processes


@asynccontextmanager
async def workers_present(db: Database, database_file: Path) -> AsyncIterator[Presence]:
    """The workers' lock of `db`, let go of at exit: on SQLite the file beside
    `database_file`; on PostgreSQL the server's lock, on a pooled connection of its own."""
    if db.dialect == SQLITE:
        lock = WorkersLock(database_file)
        try:
            yield _FilePresence(lock)
        finally:
            lock.close()
        return
    from fedishare.storage.postgres import PostgresDatabase  # only PostgreSQL's need asyncpg
    from fedishare.storage.worker_presence import ServerWorkersLock

    if not isinstance(db, PostgresDatabase):
        raise TypeError(f"no workers' lock for a {db.dialect} database")
    server = ServerWorkersLock(db)
    await server.open()
    try:
        yield server
    finally:
        await server.close()
