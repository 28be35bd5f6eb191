"""The embedded SQLite database (the default backend; see fedishare.storage.database).

Three connections, each for what it does best (and one that applies the migrations at
start-up):

- transactions (``transaction()``) run inline on the event loop's thread, on a connection
  of their own, one at a time behind a lock (concurrent tasks would otherwise share one
  SQLite transaction). A statement there costs ~10-30 µs; a hop to a database thread and
  back costs ~100 µs of CPU, several times that while the loop is busy, as the thread waits
  for the GIL. A transaction that would wait for another process's write lock waits with
  ``await`` instead of blocking the loop.
  Measured under inbox load, committing the inbox's batches here took less CPU, and
  answered more requests a second, than on a database thread, where SQLite's own work
  overlapped the loop's but every hand-off of the GIL cost more than it saved.
- single-row reads (``fetch_one``: lookups by a key or an index) run inline too.
- reads of many rows, counts and searches (``fetch_all``, ``fetch_value``) run on a reader
  thread, so they never hold up the loop.

In WAL mode readers see only committed data and never wait for the writer. Checkpoints
(copying the WAL into the database file, with an fsync) are kept off the loop: one runs on
the reader thread every CHECKPOINT_EVERY commits, or sooner when large commits have made
the WAL large (WAL_CHECKPOINT_BYTES); after a burst, the file is cut back to WAL_SIZE_LIMIT
when the WAL starts again from its beginning. A statement left half-read keeps its
connection's read transaction open, which makes a checkpoint on that connection fail
("database table is locked") and stops the WAL from being reused, so it grows: every
query here reads its rows to the end or closes its cursor.

A write the disk cannot take (SQLITE_FULL) or that waits too long for another process's lock
raises `Unwritable` (`Full`, `Busy`), rolled back whole: the edges answer 503 with
Retry-After, and the next write after space returns succeeds.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from fedishare.storage.database import (
    SQLITE,
    Busy,
    Database,
    Dialect,
    Full,
    Params,
    Row,
    Transaction,
)
from fedishare.storage.migrations import apply_migrations, check_schema, schema_version

C = TypeVar("C", sqlite3.Connection, aiosqlite.Connection)

BUSY_TIMEOUT_SECONDS = 5.0  # how long a write waits for another process's write lock
CHECKPOINT_EVERY = 200  # inline commits between checkpoints on the reader thread
CHECKPOINT_TRIES = 3  # a checkpoint that fails is tried again this often, after a pause
CHECKPOINT_PAUSE_SECONDS = 0.05  # doubled after each failure
PAGE_SIZE = 4096  # SQLite's default, which fedishare keeps
WAL_SIZE_LIMIT = 4 * 1024 * 1024  # bytes of WAL file kept once it is started again
# A checkpoint starts early when the WAL file is this large (a burst of large commits), if
# CHECKPOINT_SPACING commits have passed since the last one started.
WAL_CHECKPOINT_BYTES = 2 * WAL_SIZE_LIMIT
CHECKPOINT_SPACING = 20

log = logging.getLogger(__name__)


class SqliteTransaction(Transaction):
    """A write transaction in progress; only valid inside `Database.transaction()`.

    Its methods run inline (see the module's notes): a long loop of statements holds up
    the event loop for as long, so batch large writes with ``executemany``.
    """

    dialect: Dialect = SQLITE

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        return self._conn.execute(sql, params).rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT; return the new row's id."""
        cursor = self._conn.execute(sql, params)
        if cursor.lastrowid is None:
            raise RuntimeError("the INSERT inserted no row")
        return cursor.lastrowid

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self._conn.executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return _first(self._conn, sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row (a count, say), as `Database.fetch_value`."""
        row = _first(self._conn, sql, params)
        return None if row is None else row[0]


class SqliteDatabase(Database):
    dialect: Dialect = SQLITE

    def __init__(self, path: Path, *, max_bytes: int = 0) -> None:
        """`max_bytes`: the most the database may grow to (0: what the disk allows); a
        write past it raises Full, as on a full disk."""
        self.path = path
        self._max_pages = -(-max_bytes // PAGE_SIZE) if max_bytes > 0 else 0
        self._reader: aiosqlite.Connection | None = None
        self._inline: sqlite3.Connection | None = None  # single-row reads, on the loop
        self._inline_writer: sqlite3.Connection | None = None  # transactions, on the loop
        self._write_lock = asyncio.Lock()
        self._commits = 0
        self._last_checkpoint = 0  # self._commits when the last checkpoint started
        self._wal = path.with_name(path.name + "-wal")
        self._checkpoint: asyncio.Task[None] | None = None

    @property
    def describe(self) -> str:
        return str(self.path)

    async def open(self, *, migrate: bool = True) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        async with _connected(self.path) as migrator:
            await migrator.execute("PRAGMA journal_mode=WAL")
            if migrate or await schema_version(migrator) == 0:
                await apply_migrations(migrator)
            else:
                check_schema(await schema_version(migrator), str(self.path))
        try:
            self._reader = await _connect(self.path)
            self._inline = _connect_inline(self.path, writer=False)
            self._inline_writer = _connect_inline(self.path, writer=True)
            if self._max_pages:
                # Only the writer writes; the limit holds for this process's writes alone.
                self._inline_writer.execute(f"PRAGMA max_page_count={self._max_pages}")
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
            self._checkpoint = None
        for inline in (self._inline, self._inline_writer):
            if inline is not None:
                inline.close()
        self._inline = self._inline_writer = None
        if self._reader is not None:
            await self._reader.close()
            self._reader = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Serialised write transaction: commits on success, rolls back on any error."""
        conn = _opened(self._inline_writer)
        async with self._write_lock:
            await _begin(conn)
            try:
                yield SqliteTransaction(conn)
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if _is_full(exc):
                    raise Full("the database's disk is full") from exc
                raise
        self._commits += 1
        if self._checkpoint is None and self._checkpoint_due():
            self._last_checkpoint = self._commits
            self._checkpoint = asyncio.create_task(self._run_checkpoint(), name="checkpoint")

    def _checkpoint_due(self) -> bool:
        since = self._commits - self._last_checkpoint
        if since >= CHECKPOINT_EVERY:
            return True
        return since >= CHECKPOINT_SPACING and _size(self._wal) > WAL_CHECKPOINT_BYTES

    async def _run_checkpoint(self) -> None:
        """Checkpoint, trying again after a pause when it fails; a failure is logged, and
        the next checkpoint comes CHECKPOINT_EVERY commits later as usual."""
        try:
            pause = CHECKPOINT_PAUSE_SECONDS
            for attempt in range(1, CHECKPOINT_TRIES + 1):
                try:
                    await self._checkpoint_passes()
                    return
                except Exception:
                    log.exception("WAL checkpoint failed (try %d of %d)", attempt, CHECKPOINT_TRIES)
                if attempt < CHECKPOINT_TRIES:
                    await asyncio.sleep(pause)
                    pause *= 2
        finally:
            self._checkpoint = None

    async def _checkpoint_passes(self) -> None:
        # First while writes go on: this copies nearly all of the WAL (and syncs it), which
        # took ~50 ms under inbox load. Then once more with writes held, so that the
        # checkpoint catches up with the whole WAL and the next transaction starts it again
        # from the beginning: only what the first pass missed is left to copy, so writes
        # wait for a few ms instead of the whole copy. The pragma answers a row: read to the
        # end (see the module's notes).
        reader = _opened(self._reader)  # close() waits for this task before closing it
        await reader.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        async with self._write_lock:
            await reader.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")

    async def schema_version(self) -> int:
        return int(await self.fetch_value("PRAGMA user_version"))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query that finds it by a key or an index (run inline)."""
        return _first(_opened(self._inline), sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await _opened(self._reader).execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row (counts and the like: on the reader thread)."""
        rows = await _opened(self._reader).execute_fetchall(sql, params)
        return next((row[0] for row in rows), None)


def _first(conn: sqlite3.Connection, sql: str, params: Params) -> Row | None:
    """The first row, the statement closed at once (see the module's notes)."""
    cursor = conn.execute(sql, params)
    try:
        row: Row | None = cursor.fetchone()
    finally:
        cursor.close()
    return row


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _is_full(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)  # absent when raised by Python code
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_FULL


def _opened(conn: C | None) -> C:
    if conn is None:
        raise RuntimeError("the database is not open")
    return conn


@asynccontextmanager
async def _connected(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    conn = await _connect(path)
    try:
        yield conn
    finally:
        await conn.close()


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: we issue BEGIN ourselves, so Python's sqlite3 never opens
    # a transaction behind our back (3.11 is still in legacy implicit mode).
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute("PRAGMA busy_timeout=5000")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _connect_inline(path: Path, *, writer: bool) -> sqlite3.Connection:
    # isolation_level=None, as in _connect; check_same_thread=False, as a test may open the
    # database in one event loop's thread and close it in another's.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    if writer:
        conn.execute("PRAGMA busy_timeout=0")  # _begin waits, without blocking the loop
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # see the module's notes
        # When a checkpoint has copied the whole WAL, the next commit starts it again from
        # its beginning; past this size the file is cut back then, so that a burst of large
        # commits does not leave it large for good.
        conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    else:
        # In WAL mode a reader waits only while the WAL is recovered or reset: milliseconds.
        conn.execute("PRAGMA busy_timeout=1000")
        conn.execute("PRAGMA query_only=ON")
    return conn


async def _begin(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waiting (asynchronously) while another process holds the lock."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    delay = 0.001
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            if time.monotonic() >= deadline:
                raise Busy("the database is locked by another process") from exc
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)
