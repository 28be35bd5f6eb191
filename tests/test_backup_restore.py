"""`fedishare backup` and `fedishare restore`, run as an operator runs them.

A backup is taken while a real `fedishare serve` takes signed activities from a peer's
actors, several in flight at once; restored into a fresh directory, it passes `PRAGMA
integrity_check` and holds every activity answered 202 before the backup began. `restore`
refuses while the instance serves, and refuses a damaged copy or one from a newer fedishare,
changing nothing. A database with data is copied before it is migrated.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from fedishare.commands import backup as backup_command
from fedishare.storage.database import open_database
from fedishare.storage.migrations import MIGRATIONS
from tests.processes import cli, local_site, serving
from tests.signing_peer import SigningPeer
from tests.waiting import eventually

SENDERS = 6  # the peer's actors, each sending one activity after another
BEFORE_BACKUP = 20  # activities answered 202 before the backup begins


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(database)) as conn:
        return conn.execute(sql).fetchall()


async def test_a_backup_under_load_restores_whole_and_restore_waits_for_the_server(
    tmp_path: Path,
) -> None:
    site, port = await local_site(tmp_path, "oak")
    toml = site / "instance.toml"
    # The peer's actors all live on one host: let all of them in.
    text = toml.read_text()
    toml.write_text(
        text.replace("inbox_requests_per_minute = 600", "inbox_requests_per_minute = 1000000")
    )
    database = site / "fedishare.sqlite3"
    names = [f"p{i}" for i in range(SENDERS)]
    peer = SigningPeer(names)
    await peer.introduce(database)
    base = f"http://127.0.0.1:{port}"
    community = f"{base}/users/community"
    copy = tmp_path / "oak-backup.sqlite3"
    answered: list[str] = []  # ids of the activities answered 202, in order
    stop = asyncio.Event()

    async with serving(site, port), httpx.AsyncClient(timeout=30) as client:

        async def send(name: str) -> None:
            n = 0
            while not stop.is_set():
                activity = peer.note(name, str(n), community)
                r = await peer.send(client, f"{base}/inbox", activity)
                assert r.status_code == 202, r.text
                answered.append(str(activity["id"]))
                n += 1

        senders = [asyncio.create_task(send(name)) for name in names]

        async def enough() -> bool:
            for task in senders:
                if task.done():
                    task.result()  # a sender's failure, raised here
            return len(answered) >= BEFORE_BACKUP

        await eventually(enough, within=120)
        before = list(answered)
        code, out, err = await cli(site, "backup", str(copy))
        sent_during = len(answered) - len(before)
        stop.set()
        await asyncio.gather(*senders)
        assert code == 0, err
        assert out.startswith(f"backed up {database} to {copy} (")
        assert "copy the [instance] media directory as well" in err
        assert sent_during > 0  # the server took activities while the copy was made

        (code, _, err), (exists, _, exists_err) = await asyncio.gather(
            cli(site, "restore", str(copy)), cli(site, "backup", str(copy))
        )
        assert code == 1
        assert f"fedishare: {database} — an instance is serving it" in err
        assert not list(site.glob("*.before-restore-*"))
        assert exists == 1 and "it exists; pass --force to replace it" in exists_err

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy(toml, fresh / "instance.toml")
    code, out, err = await cli(fresh, "restore", str(copy))
    assert code == 0, err
    restored = fresh / "fedishare.sqlite3"
    assert out == f"restored {restored} from {copy} (schema {len(MIGRATIONS)})\n"
    assert rows(restored, "PRAGMA integrity_check") == [("ok",)]
    kept = {str(r[0]) for r in rows(restored, "SELECT activity_id FROM inbox_items")}
    assert set(before) <= kept, set(before) - kept

    # A damaged copy and one from a newer fedishare are refused; the database stays as it was.
    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray(copy.read_bytes())
    data[8192:] = bytes(len(data) - 8192)  # every page after the second zeroed
    damaged.write_bytes(bytes(data))
    newer = tmp_path / "newer.sqlite3"
    shutil.copy(copy, newer)
    with closing(sqlite3.connect(newer)) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    unchanged = restored.read_bytes()
    code, _, err = await cli(fresh, "restore", str(damaged))
    assert code == 1 and f"fedishare: restore {damaged} — damaged: " in err
    code, _, err = await cli(fresh, "restore", str(newer))
    assert code == 1
    assert f"its schema ({len(MIGRATIONS) + 1}) is newer than this fedishare's" in err
    assert restored.read_bytes() == unchanged
    assert sorted(p.name for p in fresh.iterdir() if "sqlite3" in p.name) == [
        "fedishare.sqlite3",
        "fedishare.sqlite3.serving",
        "fedishare.sqlite3.workers",
    ]


async def test_a_database_with_data_is_copied_before_it_is_migrated(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "fedishare.sqlite3"
    older = len(MIGRATIONS) - 1
    with closing(sqlite3.connect(database, isolation_level=None)) as conn:
        for sql in MIGRATIONS[:older]:
            conn.executescript(sql)
        conn.execute(f"PRAGMA user_version = {older}")
        conn.execute(
            "INSERT INTO domain_blocks (domain, created_at) VALUES ('spam.example', 1764925200)"
        )
    with caplog.at_level(logging.INFO, logger="fedishare.storage"):
        async with open_database(database):
            pass
    kept = tmp_path / f"fedishare.sqlite3.before-migration-{older}-{len(MIGRATIONS)}"
    assert rows(kept, "PRAGMA user_version") == [(older,)]
    assert rows(kept, "SELECT domain FROM domain_blocks") == [("spam.example",)]
    assert rows(database, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert "before migrating it" in caplog.text
    # A line per migration step, and one when done.
    assert f"migrating the database to schema {len(MIGRATIONS)} of {len(MIGRATIONS)}" in (
        caplog.text
    )
    assert f"the database is at schema {len(MIGRATIONS)}" in caplog.text

    # A new database has nothing to keep; one already migrated is not copied again.
    async with open_database(tmp_path / "new.sqlite3"), open_database(database):
        pass
    assert sorted(p.name for p in tmp_path.glob("*.before-migration-*")) == [kept.name]


def test_a_large_copy_reports_progress_a_line_per_tenth_off_a_terminal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    report = backup_command._Report("backup")
    assert not report._progress.tty  # pytest captures stderr
    mb = 1024 * 1024
    with caplog.at_level(logging.INFO, logger="fedishare.progress"):
        for done in range(0, 101 * mb, 4 * mb):
            report(done, 100 * mb)
        report(100 * mb, 100 * mb)
        backup_command._Report("small")(1 * mb, 2 * mb)  # small copies say nothing
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 10  # one as each tenth is passed
    assert lines[0] == "backup: 12.6 MB of 104.9 MB (12%)"
    assert lines[-1] == "backup: 104.9 MB of 104.9 MB (100%)"
