"""`fedishare queue status` and `queue retry HOST`, run as an operator runs them, against an
instance whose deliveries to one host failed until it was paused."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from fedishare.core.config import default_config_text, load_config
from fedishare.lifecycle import open_instance
from tests.processes import cli

DOWN = "elm.example"  # failing: paused, with deliveries waiting
UP = "oak.example"  # a delivery waiting for its next try, not paused


async def site_with_a_paused_host(directory: Path) -> Path:
    (directory / "instance.toml").write_text(default_config_text("127.0.0.1:8123", insecure=True))
    async with open_instance(load_config(directory / "instance.toml")):
        pass  # the database, migrated, with the community actor
    database = directory / "fedishare.sqlite3"
    now = time.time()
    with closing(sqlite3.connect(database)) as conn, conn:
        community = conn.execute("SELECT id FROM local_actors WHERE kind = 'group'").fetchone()[0]
        rowid = conn.execute(
            "INSERT INTO outbox_activities (activity_id, actor_id, type, document, published,"
            " created_at) VALUES ('http://127.0.0.1:8123/a/1', ?, 'Create', '{}',"
            " '2026-12-05T08:00:00Z', ?)",
            (community, now - 900),
        ).lastrowid
        for host in (DOWN, UP):
            conn.execute(
                "INSERT INTO deliveries (activity_rowid, inbox, host, attempts, next_try)"
                " VALUES (?, ?, ?, 4, ?)",
                (rowid, f"https://{host}/inbox", host, now + 3600),
            )
        conn.execute(
            "INSERT INTO delivery_hosts (host, failures, paused_until, last_error, failing_since)"
            " VALUES (?, 6, ?, 'HTTP 503 from https://elm.example/inbox', ?)",
            (DOWN, now + 1800, now - 900),
        )
    return database


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(database)) as conn:
        return conn.execute(sql).fetchall()


async def test_status_shows_the_paused_host_and_retry_sends_its_deliveries_now(
    tmp_path: Path,
) -> None:
    database = await site_with_a_paused_host(tmp_path)

    code, out, err = await cli(tmp_path, "queue", "status")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "inbox: 0 waiting"
    assert lines[1].startswith("deliveries: 2 waiting, the oldest 15 min old")
    assert lines[2] == "paused hosts: 1"
    host, until, reason = lines[3].strip().split("\t")
    assert host == DOWN and until.startswith("until 2026-")
    assert until.endswith(("(in 29 min)", "(in 30 min)"))
    assert reason == "HTTP 503 from https://elm.example/inbox"

    before = time.time()
    code, out, err = await cli(tmp_path, "queue", "retry", "ELM.example")
    assert code == 0, err
    assert out == f"{DOWN}: pause lifted; 1 waiting deliveries due now\n"
    assert rows(database, f"SELECT paused_until FROM delivery_hosts WHERE host = '{DOWN}'") == [
        (0,)
    ]
    due = {
        str(r[0]): float(str(r[1])) for r in rows(database, "SELECT host, next_try FROM deliveries")
    }
    assert before <= due[DOWN] <= time.time()  # the workers take it now
    assert due[UP] > time.time() + 3000  # another host's wait is left alone


async def test_retry_refuses_a_host_it_never_delivered_to(tmp_path: Path) -> None:
    database = await site_with_a_paused_host(tmp_path)
    code, out, err = await cli(tmp_path, "queue", "retry", "birch.example")
    assert code == 1 and out == ""
    assert (
        "fedishare: queue retry 'birch.example' — no deliveries to that host"
        f" (known: {DOWN}, {UP})\n"
    ) in err
    assert rows(database, "SELECT count(*) FROM delivery_hosts WHERE paused_until > 0") == [(1,)]
