"""`fedishare migrate` brings an out-of-date database up to this fedishare's schema; `serve`,
`work` and the other commands refuse such a database, saying so, and change nothing."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import asyncpg

from fedishare.storage.database import open_database
from fedishare.storage.migrations import MIGRATIONS
from fedishare.storage.postgres_schema import BASELINE
from tests.databases import backend, fresh_database
from tests.processes import cli, local_site, use_database


def _old_sqlite(database: Path, version: int) -> None:
    with closing(sqlite3.connect(database, isolation_level=None)) as conn:
        for sql in MIGRATIONS[:version]:
            conn.executescript(sql)
        conn.execute(f"PRAGMA user_version = {version}")


async def _old_postgresql(url: str) -> None:
    """A database as the first fedishare on PostgreSQL made it (schema BASELINE): the
    newest schema, less what each later migration added."""
    async with open_database(url):
        pass
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP TABLE rate_buckets")
        await conn.execute("ALTER TABLE deliveries DROP COLUMN lease_until")
        await conn.execute("UPDATE fedishare_schema SET version = $1", BASELINE)
    finally:
        await conn.close()


async def test_an_out_of_date_database_is_refused_until_migrated(tmp_path: Path) -> None:
    site, _port = await local_site(tmp_path, "oak")
    newest = len(MIGRATIONS)
    if backend() == "postgresql":
        url = fresh_database(tmp_path, "oak")
        use_database(site / "instance.toml", url)
        await _old_postgresql(url)
        older = BASELINE
    else:
        older = newest - 2
        _old_sqlite(site / "fedishare.sqlite3", older)
    for command in (("serve",), ("work",), ("queue", "status"), ("account", "list")):
        code, out, err = await cli(site, *command)
        assert code == 1, (command, out, err)
        assert (
            f"the database is at schema {older}, older than this fedishare's ({newest}):"
            " run `fedishare migrate` first"
        ) in err
    code, out, err = await cli(site, "migrate")
    assert code == 0, err
    assert f"at schema {newest} of {newest}, up to date" in out
    code, out, err = await cli(site, "account", "list")
    assert code == 0, err
    # Once more does nothing.
    code, out, _ = await cli(site, "migrate")
    assert code == 0 and f"at schema {newest} of {newest}" in out
