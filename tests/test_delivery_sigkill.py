"""A fan-out interrupted by SIGKILL still reaches every inbox once the server is back.

Real processes: `fedishare serve`, and ~300 remote inboxes (spread over three loopback ports,
answering slowly so the fan-out takes seconds) in a recording child process. A member with
300 accepted followers posts a Note to her outbox; the server is killed with SIGKILL once
part of the inboxes have it, started again, and must then deliver to every one of them.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import httpx

from fedishare.core.config import load_config
from fedishare.storage import follows, remote_actors
from fedishare.storage.database import open_database
from fedishare.storage.remote_actors import RemoteActor
from tests.inbox_recorder import RecordingInboxes, recording_inboxes
from tests.processes import free_port, run_cli, serving
from tests.waiting import eventually

FOLLOWERS = 300
PORTS = 3
ANSWER_DELAY = 0.1  # seconds each inbox takes to answer
# With 12 in flight at 0.1 s each, the fan-out takes about 2.5 s: room to kill it midway.
CONCURRENCY = 12


def _token(created_stdout: str) -> str:
    return next(
        line.split()[1] for line in created_stdout.splitlines() if line.startswith("token:")
    )


async def _seed_followers(config_path: Path, followee: str, ports: list[int]) -> list[str]:
    config = load_config(config_path)
    paths = []
    async with open_database(config.instance.database) as db, db.transaction() as tx:
        for i in range(FOLLOWERS):
            host = f"127.0.0.1:{ports[i % len(ports)]}"
            actor = f"http://{host}/users/u{i}"
            paths.append(f"/users/u{i}/inbox")
            await remote_actors.upsert(
                tx,
                RemoteActor(
                    id=actor,
                    host=host,
                    type="Person",
                    preferred_username=f"u{i}",
                    name="",
                    inbox=f"{actor}/inbox",
                    shared_inbox=None,
                    followers=None,
                    key_id=f"{actor}#main-key",
                    public_key_pem="-",
                    fetched_at=0.0,
                ),
                {"id": actor},
            )
            await follows.upsert(tx, actor, followee, f"{actor}#follow", "accepted", "2026")
    return paths


def _reached(inboxes: RecordingInboxes, activity_id: str) -> list[str]:
    return [d.path for d in inboxes.received() if d.activity_id == activity_id]


async def test_a_fan_out_killed_midway_reaches_every_inbox_after_restart(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    site = tmp_path / "site"
    site.mkdir()
    assert run_cli(site, "init", "--domain", f"127.0.0.1:{port}", "--http").returncode == 0
    config_path = site / "instance.toml"
    text = config_path.read_text()
    config_path.write_text(
        text.replace("delivery_concurrency = 50", f"delivery_concurrency = {CONCURRENCY}").replace(
            "delivery_per_host = 8", "delivery_per_host = 4"
        )
    )
    created = run_cli(site, "account", "create", "alice")
    assert created.returncode == 0, created.stderr
    token = _token(created.stdout)
    with sqlite3.connect(site / "fedishare.sqlite3") as conn:
        (pem,) = conn.execute(
            "SELECT public_key_pem FROM local_actors WHERE username = 'alice'"
        ).fetchone()

    log = tmp_path / "received.log"
    with recording_inboxes(PORTS, delay=ANSWER_DELAY, log=log, public_key_pem=pem) as inboxes:
        paths = await _seed_followers(config_path, f"{base}/users/alice", inboxes.ports)

        async with serving(site, port) as server, httpx.AsyncClient(timeout=10.0) as client:
            r = await client.post(
                f"{base}/users/alice/outbox",
                json={"type": "Note", "content": "<p>Free: a ladder, come and get it</p>"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code == 201, r.text
            activity_id = r.json()["id"]

            async def some_reached() -> bool:
                return len(_reached(inboxes, activity_id)) >= FOLLOWERS // 5

            await eventually(some_reached, within=30, every=0.02)
            server.kill()  # SIGKILL: no shutdown, no last writes
            await asyncio.to_thread(server.wait, 10)
        before = set(_reached(inboxes, activity_id))
        assert FOLLOWERS // 5 <= len(before) < FOLLOWERS, "the kill came too late to mean much"

        async with serving(site, port):

            async def all_reached() -> bool:
                return set(_reached(inboxes, activity_id)) == set(paths)

            await eventually(all_reached, within=40, every=0.1)

            async def all_recorded() -> bool:
                return _states(site) == {"delivered": FOLLOWERS}

            await eventually(all_recorded, within=10, every=0.1)

        received = [d for d in inboxes.received() if d.activity_id == activity_id]
        assert {d.verdict for d in received} == {"ok"}
        # At least once; a second copy only for those in flight at the kill, or answered
        # but not yet recorded (outcomes are committed in batches).
        assert len(received) - FOLLOWERS <= 2 * CONCURRENCY

    with sqlite3.connect(site / "fedishare.sqlite3") as conn:
        stored = conn.execute(
            "SELECT document FROM outbox_activities WHERE activity_id = ?", (activity_id,)
        ).fetchone()
    assert json.loads(stored[0])["object"]["content"].startswith("<p>Free: a ladder")


def _states(site: Path) -> dict[str, int]:
    with sqlite3.connect(site / "fedishare.sqlite3") as conn:
        return dict(conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state"))
