from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from fedishare.storage.database import open_database
from fedishare.storage.migrations import MIGRATIONS, apply_migrations, schema_version
from fedishare.storage.sqlite import SqliteDatabase


async def test_migrates_an_empty_database_to_the_newest_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    async with open_database(path) as db:
        assert await db.fetch_value("PRAGMA user_version") == len(MIGRATIONS)
        assert await db.fetch_value("PRAGMA journal_mode") == "wal"
        tables = {r[0] for r in await db.fetch_all("SELECT name FROM sqlite_master")}
        assert {"local_actors", "oauth_tokens"} <= tables
    # Opening again applies nothing twice.
    async with open_database(path) as db:
        assert await db.fetch_value("PRAGMA user_version") == len(MIGRATIONS)


async def test_migrations_apply_one_by_one_from_any_version(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "old.sqlite3", isolation_level=None) as conn:
        for number, sql in enumerate(MIGRATIONS[:1], start=1):
            for statement in [s for s in sql.split(";") if s.strip()]:
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
        assert await schema_version(conn) == 1
        assert await apply_migrations(conn) == len(MIGRATIONS)
        assert await schema_version(conn) == len(MIGRATIONS)


async def test_a_database_from_a_newer_fedishare_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    async with aiosqlite.connect(path) as conn:
        await conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
        await conn.commit()
    with pytest.raises(RuntimeError, match="newer than this fedishare"):
        await SqliteDatabase(path).open()


async def test_interleaved_write_transactions_stay_atomic(tmp_path: Path) -> None:
    """Task A's half-done transaction must not be committed by task B's commit."""
    async with open_database(tmp_path / "t.sqlite3") as db:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (v TEXT)")
        a_started = asyncio.Event()

        async def a() -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES ('a1')")
                a_started.set()
                await asyncio.sleep(0.05)  # B runs meanwhile
                raise RuntimeError("A fails after its first write")

        async def b() -> None:
            await a_started.wait()
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES ('b1')")

        results = await asyncio.gather(a(), b(), return_exceptions=True)
        assert isinstance(results[0], RuntimeError) and results[1] is None
        rows = [r[0] for r in await db.fetch_all("SELECT v FROM t")]
        assert rows == ["b1"]


async def test_readers_see_only_committed_rows(tmp_path: Path) -> None:
    async with open_database(tmp_path / "r.sqlite3") as db:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (v TEXT)")
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES ('x')")
            assert await db.fetch_value("SELECT count(*) FROM t") == 0
        assert await db.fetch_value("SELECT count(*) FROM t") == 1


async def test_single_row_reads_see_committed_rows_only(tmp_path: Path) -> None:
    async with open_database(tmp_path / "db.sqlite3") as db:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES ('x')")
            assert await tx.fetch_one("SELECT k FROM t") is not None  # its own write
            assert await db.fetch_one("SELECT k FROM t") is None  # not yet committed
        row = await db.fetch_one("SELECT k FROM t WHERE k = ?", ("x",))
        assert row is not None and row["k"] == "x"


async def test_a_transaction_waits_for_another_process_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite3"
    async with open_database(path) as db:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (v INTEGER)")
        other = sqlite3.connect(path, isolation_level=None)  # as a CLI command would
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t VALUES (1)")

        async def write() -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (2)")

        writing = asyncio.create_task(write())
        ticks = 0
        for _ in range(20):  # the loop keeps running while the write waits
            await asyncio.sleep(0.005)
            ticks += 1
        assert not writing.done() and ticks == 20
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(writing, 5)
        rows = await db.fetch_all("SELECT v FROM t ORDER BY v")
        assert [r[0] for r in rows] == [1, 2]


async def test_a_transaction_gives_up_on_a_lock_held_too_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fedishare.storage import sqlite as database

    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.2)
    path = tmp_path / "db.sqlite3"
    async with open_database(path) as db:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (v INTEGER)")
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(database.Busy):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (2)")
        other.execute("ROLLBACK")
        other.close()
        async with db.transaction() as tx:  # the lock is free again: usable as before
            await tx.execute("INSERT INTO t VALUES (3)")
        assert await db.fetch_value("SELECT group_concat(v) FROM t") == "3"


async def test_the_wal_is_checkpointed_while_transactions_commit(tmp_path: Path) -> None:
    from fedishare.storage.sqlite import CHECKPOINT_EVERY

    path = tmp_path / "db.sqlite3"
    async with open_database(path) as db:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (v BLOB)")
        wal = path.with_name(path.name + "-wal")
        sizes = []
        for n in range(1, CHECKPOINT_EVERY * 10 + 1):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (zeroblob(3000))")
            # Commits come as from a busy inbox, a few thousand a second; a checkpoint's
            # first pass lets them go on, so the WAL may run a little past CHECKPOINT_EVERY.
            await asyncio.sleep(0.0002)
            if n % (CHECKPOINT_EVERY * 2) == 0:
                sizes.append(wal.stat().st_size)
        # Unchecked, the WAL would grow with every commit: five times over by the end.
        assert max(sizes) <= sizes[0] * 1.5
        assert await db.fetch_value("SELECT count(*) FROM t") == CHECKPOINT_EVERY * 10
