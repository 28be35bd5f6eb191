"""WAL checkpoints under concurrent reads and commits: they succeed, a failure is logged and
tried again, and the WAL stays bounded.

Under load, a checkpoint ran on the reader connection while the previous checkpoint's
statement was still open there; reads then left that connection's read transaction open,
and the next checkpoint failed with "database table is locked", unseen (and the WAL, never
started again from its beginning, grew).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from fedishare.storage import sqlite as database
from fedishare.storage.database import Database, open_database
from fedishare.storage.sqlite import SqliteDatabase
from tests.databases import backend

# SQLite's own checkpoints, on files of these tests: the PostgreSQL run has nothing to add.
pytestmark = pytest.mark.skipif(backend() != "sqlite", reason="SQLite's WAL checkpoints")

EVERY = 25  # commits between checkpoints here (CHECKPOINT_EVERY)
COMMITS = 1500
READERS = 3


async def _load(db: Database, wal: Path) -> int:
    """COMMITS single-row commits while READERS tasks read all the time; the largest size
    the WAL file reached."""
    async with db.transaction() as tx:
        await tx.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    done = asyncio.Event()

    async def read() -> None:
        while not done.is_set():
            await db.fetch_all("SELECT id, v FROM t ORDER BY id DESC LIMIT 20")
            await db.fetch_value("SELECT count(*) FROM t")
            await db.fetch_one("SELECT v FROM t WHERE id = 1")

    readers = [asyncio.create_task(read()) for _ in range(READERS)]
    largest = 0
    try:
        for i in range(COMMITS):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t (v) VALUES (?)", ("x" * 300,))
            if i % 2:
                await asyncio.sleep(0)  # let the readers and the checkpoint task run
            largest = max(largest, wal.stat().st_size)
    finally:
        done.set()
        await asyncio.gather(*readers)
    return largest


async def test_checkpoints_succeed_under_concurrent_reads_and_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(database, "CHECKPOINT_EVERY", EVERY)
    runs: list[BaseException | None] = []
    run_checkpoint = SqliteDatabase._run_checkpoint

    async def watched(self: Database) -> None:
        try:
            await run_checkpoint(self)
        except Exception as exc:
            runs.append(exc)
            raise
        runs.append(None)

    monkeypatch.setattr(SqliteDatabase, "_run_checkpoint", watched)
    caplog.set_level(logging.WARNING, logger=database.__name__)
    path = tmp_path / "load.sqlite3"
    async with open_database(path) as db:
        largest = await _load(db, path.with_name(path.name + "-wal"))
    assert [r for r in runs if r is not None] == []
    assert [r.getMessage() for r in caplog.records] == []
    # Each commit adds a frame or two (a page of 4 KiB each); a checkpoint every EVERY
    # commits lets the next commits reuse the WAL from its start. On two busy cores the
    # reader thread, which the checkpoints share with the readers, may take a few rounds to
    # get to one; without them the WAL would hold all COMMITS (over 6 MiB).
    page = 4096 + 24
    assert largest <= 6 * EVERY * 3 * page, f"the WAL grew to {largest} bytes"
    # Several ran (how many depends on how busy the machine is: one at a time, and a
    # commit that finds one still running starts none).
    assert len(runs) >= 5, "checkpoints did not run"


async def test_a_failed_checkpoint_is_logged_and_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(database, "CHECKPOINT_EVERY", 1)
    caplog.set_level(logging.ERROR, logger=database.__name__)
    async with open_database(tmp_path / "flaky.sqlite3") as db:
        passes = db._checkpoint_passes
        tries: list[str] = []

        async def flaky() -> None:
            tries.append("try")
            if len(tries) == 1:
                raise sqlite3.OperationalError("database table is locked")
            await passes()

        monkeypatch.setattr(db, "_checkpoint_passes", flaky)
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (v TEXT)")
        checkpoint = db._checkpoint
        assert checkpoint is not None
        await checkpoint
        assert tries == ["try", "try"]
        [failure] = caplog.records
        assert "WAL checkpoint failed (try 1 of 3)" in failure.getMessage()
        assert failure.exc_info is not None and "table is locked" in str(failure.exc_info[1])


async def test_a_burst_of_large_commits_checkpoints_early_and_the_wal_is_cut_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kib = 1024
    monkeypatch.setattr(database, "WAL_SIZE_LIMIT", 256 * kib)
    monkeypatch.setattr(database, "WAL_CHECKPOINT_BYTES", 512 * kib)
    monkeypatch.setattr(database, "CHECKPOINT_SPACING", 5)
    path = tmp_path / "burst.sqlite3"
    wal = path.with_name(path.name + "-wal")
    sizes = []
    async with open_database(path) as db:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (b BLOB)")
        for _ in range(database.CHECKPOINT_EVERY - 10):  # ~50 KiB each: 9 MiB in all
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (randomblob(50000))")
            await asyncio.sleep(0)  # let the checkpoint task run
            sizes.append(wal.stat().st_size)
    # Checkpointed once the WAL passed 512 KiB (commits go on while a checkpoint runs), not
    # only once CHECKPOINT_EVERY commits had passed (9 MiB); cut back to 256 KiB each time
    # the WAL started again.
    assert max(sizes) <= 5 * 1024 * kib, f"the WAL grew to {max(sizes)} bytes"
    cut_back = [n for n in range(1, len(sizes)) if sizes[n] < sizes[n - 1] - 200 * kib]
    assert len(cut_back) >= 3 and all(sizes[n] <= 256 * kib for n in cut_back)
