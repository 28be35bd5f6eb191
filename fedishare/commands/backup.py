"""`fedishare backup PATH` and `fedishare restore PATH`: the database copied while the
instance runs, and a copy put back in its place while it does not.

The database holds everything but photos: members, their keys, listings, follows, the
queues. Photos are files under [instance] media, a plain directory to copy beside it (with
rsync or cp -a; a photo is never changed once written).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from fedishare.commands.errors import CommandError
from fedishare.commands.progress import Progress
from fedishare.commands.serving_lock import nobody_serving
from fedishare.core.config import Config
from fedishare.storage.backup import (
    BackupError,
    check_copy,
    copy_database,
    put_in_place,
    remove_staged,
    stage_copy,
)
from fedishare.storage.migrations import MIGRATIONS

PROGRESS_FROM_BYTES = 32 * 1024 * 1024  # smaller copies take well under a second
MEDIA_NOTE = (
    "Photos are not in the database: copy the [instance] media directory as well (a plain "
    "directory; its files never change once written)."
)


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    backup = sub.add_parser(
        "backup",
        parents=[common],
        help="copy the database to PATH, safely while the instance runs",
        description="Write a consistent copy of the database to PATH (one SQLite file) "
        "while the instance goes on serving: the database as it was when the copy began. "
        "Everything is in it but photos (keys, members, listings, follows, queues). " + MEDIA_NOTE,
    )
    backup.add_argument("path", metavar="PATH", type=Path, help="the file to write")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    restore = sub.add_parser(
        "restore",
        parents=[common],
        help="replace the database with a copy made by `fedishare backup`",
        description="Check the copy at PATH (PRAGMA integrity_check, and a schema no newer "
        "than this fedishare's) and put it in the database's place; the database it "
        "replaces is kept as DATABASE.before-restore-TIME. Refused while `fedishare serve` "
        "or `fedishare work` runs on this database. " + MEDIA_NOTE,
    )
    restore.add_argument("path", metavar="PATH", type=Path, help="a copy made by `backup`")


def run(config: Config, args: argparse.Namespace) -> int:
    try:
        if not config.database.is_sqlite and config.database.url:
            raise CommandError(
                f"{args.command} — [database] url is a PostgreSQL server: back it up with its"
                " own tools (pg_dump, or `fedishare export PATH`, which `fedishare import`"
                " reads into an empty database of either kind)"
            )
        if args.command == "backup":
            return _backup(config.instance.database, args.path, force=args.force)
        return _restore(config.instance.database, args.path)
    except CommandError as e:
        print(f"fedishare: {e}", file=sys.stderr)
        return 1


def _backup(database: Path, path: Path, *, force: bool) -> int:
    if path.exists() and not force:
        raise CommandError(f"backup {path} — it exists; pass --force to replace it")
    if path.resolve() == database.resolve():
        raise CommandError(f"backup {path} — that is the database itself")
    if not path.parent.is_dir():
        raise CommandError(f"backup {path} — no such directory: {path.parent}")
    started = time.monotonic()
    report = _Report("backup")
    try:
        size = copy_database(database, path, report)
    except (BackupError, sqlite3.Error, OSError) as e:
        raise CommandError(f"backup {path} — {e}") from None
    report.finish()
    print(f"backed up {database} to {path} ({_mb(size)}) in {time.monotonic() - started:.1f} s")
    print(MEDIA_NOTE, file=sys.stderr)
    return 0


def _restore(database: Path, path: Path) -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    staged = database.with_name(f"{database.name}.restoring")
    kept = database.with_name(f"{database.name}.before-restore-{stamp}")
    for n in range(2, 100):  # another restore within the same second
        if not kept.exists():
            break
        kept = database.with_name(f"{database.name}.before-restore-{stamp}-{n}")
    with nobody_serving(database):
        try:
            report = _Report("restore")
            stage_copy(path, staged, report)
            report.finish()
            version = check_copy(staged, len(MIGRATIONS))
            had = put_in_place(staged, database, kept)
        except (BackupError, OSError) as e:
            raise CommandError(f"restore {path} — {e}") from None
        finally:
            remove_staged(staged)
    print(f"restored {database} from {path} (schema {version})")
    if had:
        print(f"the database it replaced is kept as {kept}")
    return 0


class _Report:
    """Progress of a large copy: repainted on a terminal, else a line per tenth."""

    def __init__(self, label: str) -> None:
        self._progress = Progress(label)
        self._next_tenth = 1
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_FROM_BYTES:
            return
        tenth = done * 10 // total
        if not self._progress.tty and tenth < self._next_tenth:
            return
        self._next_tenth = tenth + 1
        self._shown = True
        self._progress.step(f"{_mb(done)} of {_mb(total)} ({done * 100 // total}%)")

    def finish(self) -> None:
        if self._shown:
            self._progress.finish()


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
