"""The embedded SQLite database: one writer connection, one reader connection.

aiosqlite does not isolate transactions between tasks that share a connection (one task's
commit also commits another's unfinished writes), so every write transaction holds a lock.
Reads go through a second connection, which in WAL mode sees only committed data.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from fedishare.storage.migrations import apply_migrations

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]


class Transaction:
    """A write transaction in progress; only valid inside `Database.transaction()`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT; return the new row's id."""
        cursor = await self._conn.execute(sql, params)
        if cursor.lastrowid is None:
            raise RuntimeError("the INSERT inserted no row")
        return cursor.lastrowid

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, params))


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path)
        try:
            await self._writer.execute("PRAGMA journal_mode=WAL")
            await apply_migrations(self._writer)
            self._reader = await _connect(self.path)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Serialised write transaction: commits on success, rolls back on any error."""
        conn = self._require(self._writer)
        async with self._write_lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(conn)
            except BaseException:
                await conn.rollback()
                raise
            await conn.commit()

    async def write_statement(self, sql: str, params: Params = ()) -> int:
        """Run one statement as a transaction of its own (SQLite's autocommit: all of its
        rows or none), committed before this returns; return the rows it changed.

        One trip to the database thread and one step there. Python's sqlite3 lets go of
        the GIL around every step, and a busy event loop makes the database thread wait
        for it each time: ``executemany`` steps once per row, which under inbox load cost
        ~100 µs of CPU per row in GIL hand-offs. So the inbox writer sends a batch as one
        statement.
        """
        conn = self._require(self._writer)
        async with self._write_lock:
            cursor = await conn.execute(sql, params)
        return cursor.rowcount

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._require(self._reader).execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._require(self._reader).execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    @staticmethod
    def _require(conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise RuntimeError("the database is not open")
        return conn


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: we issue BEGIN ourselves, so Python's sqlite3 never opens
    # a transaction behind our back (3.11 is still in legacy implicit mode).
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute("PRAGMA busy_timeout=5000")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA synchronous=NORMAL")
    return conn


@asynccontextmanager
async def open_database(path: Path) -> AsyncIterator[Database]:
    db = Database(path)
    await db.open()
    try:
        yield db
    finally:
        await db.close()
