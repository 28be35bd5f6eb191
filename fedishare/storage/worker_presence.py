"""Which processes run workers on a PostgreSQL database: a session advisory lock.

On SQLite a lock on a file beside the database says it (fedishare.workers.presence); a
PostgreSQL database's workers may run on several machines, so there the lock is the
server's: each process that runs workers holds WORKERS_LOCK shared, on a connection of its
own, for as long as they run, and the server lets go of it when that connection ends
(the process died, or the machine did, once the server notices). A process that can take
it exclusively before its workers start knows that no worker runs anywhere; `/readyz` asks
the server whether anyone holds it (`workers_running`), which neither takes nor waits. The
same connection listens for the wake-ups of work queued elsewhere (fedishare.storage.notify).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack

import asyncpg

from fedishare.storage.postgres import PostgresDatabase, is_open

WORKERS_LOCK = 0x66656470  # below 2**31: pg_locks shows it as classid 0, objid this
RETAKE_SECONDS = 1.0  # between tries to take the lock again after its connection ended

log = logging.getLogger(__name__)


class ServerWorkersLock:
    """The workers' lock of one PostgreSQL database, held on a pooled connection kept for
    the purpose: `open`, then `alone` (exclusive, if free), `share`, and `close`.

    Should that connection end while the workers run (the server restarted, the network
    failed), the lock went with it: it is taken again, shared, on a new connection, with
    its listeners, as soon as the server lets it (`_take_again`)."""

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db
        self._stack = AsyncExitStack()
        self._conn: asyncpg.Connection | None = None
        self._pid: int | None = None  # the server process of _conn, read while it was alive
        self._exclusive = False
        self._shared = False
        self._closing = False
        self._wake: dict[str, Callable[[], None]] = {}
        self._listeners: list[tuple[str, _Listener]] = []
        self._again: asyncio.Task[None] | None = None

    async def open(self) -> None:
        conn = await self._stack.enter_async_context(self._db.connection())
        self._conn, self._pid = conn, conn.get_server_pid()

    def _connection(self) -> asyncpg.Connection:
        if self._conn is None:
            raise RuntimeError("the workers' lock is not open")
        return self._conn

    async def alone(self) -> bool:
        """Take the lock exclusively if no other process holds it: True if taken (keep it
        while handing back claims, then `share`)."""
        self._exclusive = bool(
            await self._connection().fetchval("SELECT pg_try_advisory_lock($1)", WORKERS_LOCK)
        )
        return self._exclusive

    async def share(self) -> None:
        """Hold the lock shared while the workers run, beside other processes' workers;
        waits while another process starting holds it exclusively. Shared is taken before
        exclusive is let go (a session never conflicts with itself), so that no process
        starting meanwhile finds the lock free and hands back this one's claims."""
        conn = self._connection()
        await conn.execute("SELECT pg_advisory_lock_shared($1)", WORKERS_LOCK)
        self._shared = True
        if self._exclusive:
            await conn.execute("SELECT pg_advisory_unlock($1)", WORKERS_LOCK)
            self._exclusive = False
        conn.add_termination_listener(self._lost)

    async def listen(self, wake: Mapping[str, Callable[[], None]]) -> None:
        """Call `wake[channel]` whenever a transaction that notified `channel` commits
        (fedishare.storage.notify), in any process."""
        self._wake.update(wake)
        await self._add_listeners(self._connection(), wake)

    async def _add_listeners(
        self, conn: asyncpg.Connection, wake: Mapping[str, Callable[[], None]]
    ) -> None:
        for channel, callback in wake.items():
            listener = _Listener(callback)
            await conn.add_listener(channel, listener)
            self._listeners.append((channel, listener))

    def _lost(self, conn: object) -> None:
        if self._closing or self._again is not None:
            return
        log.error("the connection holding the workers' lock ended: taking the lock again")
        self._again = asyncio.get_running_loop().create_task(self._take_again())

    async def _take_again(self) -> None:
        """The lock, shared, on a new connection (the old one is given back to the pool,
        which drops it); tried again every RETAKE_SECONDS until it holds or `close`."""
        self._listeners.clear()
        self._conn = self._pid = None
        try:
            await self._stack.aclose()
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
            pass  # the pool drops a closed connection: nothing more to give back
        while not self._closing:
            stack = AsyncExitStack()
            try:
                conn = await stack.enter_async_context(self._db.connection())
                await conn.execute("SELECT pg_advisory_lock_shared($1)", WORKERS_LOCK)
                await self._add_listeners(conn, self._wake)
            except RuntimeError:  # the database was closed: the process is ending
                await stack.aclose()
                break
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
                self._listeners.clear()
                await stack.aclose()
                log.warning("the workers' lock could not be taken again yet", exc_info=True)
                await asyncio.sleep(RETAKE_SECONDS)
                continue
            self._stack, self._conn, self._pid = stack, conn, conn.get_server_pid()
            conn.add_termination_listener(self._lost)
            log.info("the workers' lock is held again")
            break
        self._again = None

    async def close(self) -> None:
        """Let go of the lock and give the connection back to the pool."""
        self._closing = True
        if self._again is not None:
            self._again.cancel()
            await asyncio.gather(self._again, return_exceptions=True)
            self._again = None
        try:
            if self._conn is not None and is_open(self._conn):
                self._conn.remove_termination_listener(self._lost)
                for channel, listener in self._listeners:
                    await self._conn.remove_listener(channel, listener)
                if self._shared:
                    await self._conn.execute("SELECT pg_advisory_unlock_shared($1)", WORKERS_LOCK)
                if self._exclusive:
                    await self._conn.execute("SELECT pg_advisory_unlock($1)", WORKERS_LOCK)
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):  # gone with it anyway
            log.warning("letting go of the workers' lock failed", exc_info=True)
        finally:
            self._listeners.clear()
            self._shared = self._exclusive = False
            self._conn = self._pid = None
            await self._stack.aclose()

    @property
    def server_pid(self) -> int | None:
        """The server process of the connection holding the lock (None: none holds it)."""
        return self._pid


class _Listener:
    """An asyncpg notification listener that calls `wake`, whatever the notification says."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def __call__(self, conn: object, pid: int, channel: str, payload: object) -> None:
        self._wake()


async def workers_running(db: PostgresDatabase) -> bool:
    """Whether any process (this one included) holds the workers' lock on this database."""
    return bool(
        await db.fetch_value(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = 0 AND objid = ? AND objsubid = 1)",
            (WORKERS_LOCK,),
        )
    )
