"""The database, as every storage module sees it, whichever server holds it.

Two backends give the same interface: the embedded SQLite file (`fedishare.storage.sqlite`,
the default) and a PostgreSQL server (`fedishare.storage.postgres`, for large instances run
as several processes). Storage modules write their SQL once, in SQLite's dialect; the
PostgreSQL backend translates it (`fedishare.storage.postgres_sql`, one rule per
difference), and where a feature itself differs (full-text search, claiming queue rows) a
module asks `dialect` and says why there.

`[database] url` names the backend: ``sqlite:///relative/path``, ``sqlite:////absolute``
or ``postgresql://user@host:port/name`` (`target_for`).
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

Dialect = Literal["sqlite", "postgresql"]
SQLITE: Dialect = "sqlite"
POSTGRESQL: Dialect = "postgresql"

Params = Sequence[Any] | dict[str, Any]


class Row(Protocol):
    """A result row: its columns by position or by name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: int | str, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...
    def keys(self) -> Any: ...


class Unwritable(sqlite3.OperationalError):
    """The database cannot take this write now; it was rolled back whole. `retry_after`:
    seconds worth waiting before trying again."""

    retry_after = 5.0


class Busy(Unwritable):
    """Another process held what this write needed (SQLite's write lock, PostgreSQL's row
    locks in a deadlock) for too long."""


class Full(Unwritable):
    """The disk (or the database's size limit) is full: nothing more can be written until
    space is freed."""

    retry_after = 60.0


# A uniqueness or other constraint refused the statement: both backends raise this.
Conflict = sqlite3.IntegrityError


class SchemaOutOfDate(RuntimeError):
    """The database's schema is older than this fedishare's, and only `fedishare migrate`
    may change it."""


class Transaction(ABC):
    """A write transaction in progress; only valid inside `Database.transaction()`."""

    dialect: Dialect

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT; return the new row's id (its integer key)."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    @abstractmethod
    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row (a count, say), as `Database.fetch_value`."""


class Database(ABC):
    dialect: Dialect

    @abstractmethod
    async def open(self, *, migrate: bool = True) -> None:
        """Connect, making the schema in a new database; an existing one is brought up to
        date with `migrate`, otherwise refused (SchemaOutOfDate) if it is out of date."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A write transaction: commits on success, rolls back on any error."""

    @abstractmethod
    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query that finds it by a key or an index."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row (counts and the like)."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    @property
    @abstractmethod
    def describe(self) -> str:
        """Where the data lives, for logs and messages (no password)."""


def target_for(url_or_path: str | Path, *, relative_to: Path | None = None) -> str:
    """The database URL for a `[database] url` value or a plain SQLite path: a relative
    SQLite path is taken from `relative_to` (instance.toml's folder) and made absolute."""
    if isinstance(url_or_path, Path):
        return "sqlite:///" + str(url_or_path.resolve())
    if url_or_path.startswith(("postgresql://", "postgres://")):
        return url_or_path
    if url_or_path.startswith("sqlite:///"):
        path = Path(url_or_path.removeprefix("sqlite:///"))
        if not path.is_absolute():
            path = (relative_to or Path.cwd()) / path
        return "sqlite:///" + str(path.resolve())
    raise ValueError(
        f"{url_or_path!r}: expected sqlite:///PATH or postgresql://USER@HOST[:PORT]/NAME"
    )


def shown(url: str) -> str:
    """`url` as logs and messages show it: a SQLite file's path, a server's URL without
    its password or options."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    parts = urlsplit(url)
    netloc = (parts.username + "@" if parts.username else "") + (parts.hostname or "")
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def sqlite_path(target: str) -> Path | None:
    """The file of a SQLite target (None for a server's)."""
    if target.startswith("sqlite:///"):
        return Path(target.removeprefix("sqlite:///"))
    return None


def database_for(target: str | Path, *, pool_size: int = 10, max_bytes: int = 0) -> Database:
    """An unopened Database for `target` (a URL, or a SQLite file's Path). `max_bytes`: the
    largest a SQLite file may grow to (0: no limit); `pool_size`: PostgreSQL connections."""
    url = target_for(target)
    path = sqlite_path(url)
    if path is not None:
        from fedishare.storage.sqlite import SqliteDatabase

        return SqliteDatabase(path, max_bytes=max_bytes)
    from fedishare.storage.postgres import PostgresDatabase

    return PostgresDatabase(url, pool_size=pool_size)


@asynccontextmanager
async def open_database(target: str | Path, *, migrate: bool = True) -> AsyncIterator[Database]:
    db = database_for(target)
    await db.open(migrate=migrate)
    try:
        yield db
    finally:
        await db.close()
