"""Where a test's databases live: the one place tests get a new one.

By default a SQLite file in the test's directory. When FEDISHARE_TEST_POSTGRES names a
PostgreSQL server (``postgresql://user@host:port/db``, a superuser's; `scripts/test` starts
one and sets it for its second run), a database of the test's own on that server instead,
copied from a template this test process migrated once (a copy takes a tenth of a second,
migrating a new database far longer), and dropped when the test ends (`drop_test_databases`, which
tests/conftest.py runs after every test).

Database names carry the test process's id, so that test processes sharing a server (the
workers of one run, or several runs) never touch each other's; a process that died without
dropping its databases has them dropped by the next that starts on the same machine.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from fedishare.storage.database import open_database

POSTGRES_ENV = "FEDISHARE_TEST_POSTGRES"
PREFIX = "fedishare_test_"  # every database made here, templates too
TEMPLATE_PREFIX = PREFIX + "template_"

T = TypeVar("T")

_lock = threading.Lock()
_template: str | None = None
_numbers = itertools.count(1)
# This test's databases by (directory, name): the same pair gives the same database again
# within a test (an instance restarted on its directory finds its data, as with a file).
_databases: dict[tuple[Path, str], str] = {}


def backend() -> Literal["sqlite", "postgresql"]:
    """Which database the tests run on."""
    return "postgresql" if os.environ.get(POSTGRES_ENV) else "sqlite"


def fresh_database(directory: Path, name: str) -> str:
    """The URL of a database for `name` in this test: ``sqlite:////DIRECTORY/NAME.sqlite3``
    on SQLite (created when first opened), or a new, migrated, empty PostgreSQL database.

    Synchronous, so that it serves synchronous code as well (tests.harness.make_config): it
    blocks the calling thread for the moment a PostgreSQL copy takes."""
    if backend() == "sqlite":
        return "sqlite:///" + str((directory / f"{name}.sqlite3").absolute())
    key = (directory.absolute(), name)
    with _lock:
        if key not in _databases:
            _databases[key] = _server_url(_run(lambda: _create(name)))
        return _databases[key]


def drop_test_databases() -> None:
    """Drop the databases this test made (none on SQLite)."""
    with _lock:
        names = [urlsplit(url).path.lstrip("/") for url in _databases.values()]
        _databases.clear()
    if names:
        _run(lambda: _drop(names))


def drop_template() -> None:
    """Drop this process's template, at the end of its tests."""
    global _template
    with _lock:
        name, _template = _template, None
    if name is not None:
        _run(lambda: _drop([name]))


def _server_url(database: str) -> str:
    """The test server's URL, naming `database`."""
    parts = urlsplit(os.environ[POSTGRES_ENV])
    return urlunsplit(parts._replace(path="/" + database))


def _run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on an event loop of its own, in a thread of its own: callers may be
    inside a running loop (async tests and fixtures) or not."""

    async def main() -> T:
        return await make()

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, main()).result()


async def _create(name: str) -> str:
    global _template
    if _template is None:
        _template = await _make_template()
    label = re.sub(r"[^a-z0-9]+", "_", name.lower())
    database = f"{PREFIX}{os.getpid()}_{next(_numbers)}_{label}"[:63]
    conn = await asyncpg.connect(os.environ[POSTGRES_ENV])
    try:
        await conn.execute(
            f'CREATE DATABASE "{database}" TEMPLATE "{_template}" STRATEGY FILE_COPY'
        )
    finally:
        await conn.close()
    return database


async def _make_template() -> str:
    """A database with the current schema, to copy: made and migrated once per process."""
    template = f"{TEMPLATE_PREFIX}{os.getpid()}"
    conn = await asyncpg.connect(os.environ[POSTGRES_ENV])
    try:
        await _drop_abandoned(conn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{template}" TEMPLATE template0')
    finally:
        await conn.close()
    async with open_database(_server_url(template)):
        pass
    return template


async def _drop_abandoned(conn: asyncpg.Connection) -> None:
    """Drop the databases of test processes on this machine that ended without dropping
    them (interrupted runs)."""
    rows = await conn.fetch(
        "SELECT datname FROM pg_database WHERE datname LIKE $1", PREFIX.replace("_", r"\_") + "%"
    )
    for row in rows:
        found = re.match(r"(?:template_)?(\d+)", row["datname"].removeprefix(PREFIX))
        if found is not None and not _alive(int(found.group(1))):
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
            except asyncpg.PostgresError:
                pass  # another process of this run dropped it first


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _drop(names: list[str]) -> None:
    conn = await asyncpg.connect(os.environ[POSTGRES_ENV])
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
