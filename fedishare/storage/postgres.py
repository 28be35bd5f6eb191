"""A PostgreSQL server as fedishare's database (asyncpg), for instances run as several
processes on one or more machines.

A pool of `pool_size` connections serves reads; a transaction takes one connection for its
length. Transactions of one process run one at a time, as on SQLite, so that what the
services above wrote for one writer holds within a process; between processes, rows are
claimed with ``FOR UPDATE SKIP LOCKED`` (the queues) and written with upserts, and a
deadlock PostgreSQL breaks, or a full disk, is `Busy` or `Full` as on SQLite: rolled back
whole, answered 503 with Retry-After.

Statements arrive in SQLite's dialect and are translated once each
(`fedishare.storage.postgres_sql`). Values come back as SQLite gives them: sums and other
NUMERIC results as int (or float when fractional), not Decimal.

The schema is made in one go in a new database (`fedishare.storage.postgres_schema`), under
an advisory lock so that processes starting together do not both make it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg

from fedishare.storage.database import (
    POSTGRESQL,
    Busy,
    Conflict,
    Database,
    Dialect,
    Full,
    Params,
    Row,
    Transaction,
    shown,
)
from fedishare.storage.migrations import MIGRATIONS, check_schema
from fedishare.storage.postgres_schema import schema_statements, upgrade_statements
from fedishare.storage.postgres_sql import translate

log = logging.getLogger(__name__)

# A transaction, reads beside it, the signals' listener and the workers' presence lock each
# hold a connection: fewer would make them wait for each other.
MIN_POOL = 4
SCHEMA_LOCK = 0x66656469  # pg_advisory_xact_lock key while the schema is made or migrated
_INSERT_INTO = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\"?(\w+)", re.IGNORECASE)
_COUNT = re.compile(r"(\d+)\s*$")


class PostgresTransaction(Transaction):
    dialect: Dialect = POSTGRESQL

    def __init__(self, conn: asyncpg.Connection, keys: dict[str, str]) -> None:
        self._conn = conn
        self._keys = keys

    async def execute(self, sql: str, params: Params = ()) -> int:
        statement = translate(sql)
        with _errors():
            status = await self._conn.execute(statement.sql, *statement.arguments(params))
        found = _COUNT.search(status or "")
        return int(found.group(1)) if found else 0

    async def insert(self, sql: str, params: Params = ()) -> int:
        statement = translate(sql)
        table = _INSERT_INTO.match(sql)
        key = self._keys.get(table.group(1).lower()) if table else None
        if key is None:
            raise RuntimeError(f"no integer key to return for {sql!r}")
        with _errors():
            value = await self._conn.fetchval(
                f"{statement.sql} RETURNING {key}", *statement.arguments(params)
            )
        if value is None:
            raise RuntimeError("the INSERT inserted no row")
        return int(value)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        statement = translate(sql)
        args = [statement.arguments(row) for row in rows]
        if args:
            with _errors():
                await self._conn.executemany(statement.sql, args)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        statement = translate(sql)
        with _errors():
            row: Row | None = await self._conn.fetchrow(statement.sql, *statement.arguments(params))
        return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        statement = translate(sql)
        with _errors():
            rows: list[Row] = await self._conn.fetch(statement.sql, *statement.arguments(params))
        return rows

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]


class PostgresDatabase(Database):
    dialect: Dialect = POSTGRESQL

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._write_lock = asyncio.Lock()
        self._keys: dict[str, str] = {}  # table -> its integer key (what insert() returns)

    @property
    def describe(self) -> str:
        return shown(self.url)

    async def open(self, *, migrate: bool = True) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            version = await _version(conn)
            if migrate or version == 0:
                version = await _migrate(conn)
            check_schema(version, self.describe)
            self._keys = await _integer_keys(conn)
        finally:
            await conn.close()
        self._pool = await asyncpg.create_pool(
            self.url,
            min_size=1,
            max_size=max(MIN_POOL, self.pool_size),
            init=_prepare_connection,
            # A read or a transaction leaves nothing behind on its connection, and asyncpg's
            # reset on every return to the pool (four statements) doubled the statements of
            # each inbox item; `connection()` resets what it lends out itself.
            reset=_leave_as_is,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _opened(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database is not open")
        return self._pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        pool = self._opened()
        with _errors():
            async with self._write_lock, pool.acquire() as conn, conn.transaction():
                yield PostgresTransaction(conn, self._keys)

    async def schema_version(self) -> int:
        async with self._opened().acquire() as conn:
            return await _version(conn)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        statement = translate(sql)
        with _errors():
            row: Row | None = await self._opened().fetchrow(
                statement.sql, *statement.arguments(params)
            )
        return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        statement = translate(sql)
        with _errors():
            rows: list[Row] = await self._opened().fetch(
                statement.sql, *statement.arguments(params)
            )
        return rows

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection of its own, for what only PostgreSQL has (LISTEN, COPY)."""
        async with self._opened().acquire() as conn:
            try:
                yield conn
            finally:  # its LISTENs, session locks and settings go with it
                if is_open(conn):
                    with contextlib.suppress(*_UNREACHABLE, asyncpg.InterfaceError):
                        await conn.reset()


def is_open(conn: asyncpg.Connection) -> bool:
    """Whether a connection from `PostgresDatabase.connection()` is still open. One that was
    lost is detached from the pool at once, and asyncpg then refuses even `is_closed()`."""
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        return False


async def _version(conn: asyncpg.Connection) -> int:
    exists = await conn.fetchval("SELECT to_regclass('fedishare_schema') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT max(version) FROM fedishare_schema") or 0)


async def _migrate(conn: asyncpg.Connection) -> int:
    """Make the schema in a new database, or bring an older one up to date, under the
    advisory lock (processes starting together wait for the first); return the version."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
        version = await _version(conn)
        newest = len(MIGRATIONS)
        if version == 0:
            log.info("making the database's schema (version %d)", newest)
            for statement in await schema_statements():
                await conn.execute(statement)
            await conn.execute("INSERT INTO fedishare_schema (version) VALUES ($1)", newest)
        elif version < newest:
            log.info("migrating the database from schema %d to %d", version, newest)
            for statement in upgrade_statements(version):
                await conn.execute(statement)
            await conn.execute("UPDATE fedishare_schema SET version = $1", newest)
        else:
            return version
    return newest


async def _integer_keys(conn: asyncpg.Connection) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    keys: dict[str, str] = {}
    for row in rows:
        # A table's own integer key wins over the rowid column added beside a text key.
        if row[0] not in keys or row[1] != "rowid":
            keys[row[0]] = row[1]
    return keys


async def _leave_as_is(conn: asyncpg.Connection) -> None:
    """The pool's reset of a connection coming back: none (see `PostgresDatabase.open`)."""


def _numeric(text: str) -> int | float:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


async def _prepare_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "numeric", schema="pg_catalog", encoder=str, decoder=_numeric, format="text"
    )


# The server down, restarting, refusing connections, or a connection lost mid-statement.
_UNREACHABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    asyncpg.ConnectionDoesNotExistError,
)


class _errors:
    """asyncpg's errors as the backend-neutral ones (fedishare.storage.database)."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
            raise Conflict(str(exc)) from exc
        if isinstance(exc, (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)):
            raise Busy(f"the database broke a conflict between writers: {exc}") from exc
        if isinstance(exc, asyncpg.LockNotAvailableError):
            raise Busy("the database is locked") from exc
        if isinstance(exc, asyncpg.DiskFullError):
            raise Full("the database's disk is full") from exc
        if isinstance(exc, _UNREACHABLE):
            raise Busy(f"the database server cannot be reached: {exc}") from exc
