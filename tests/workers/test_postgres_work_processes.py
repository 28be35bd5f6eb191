"""Two `fedishare work` processes on one PostgreSQL database, claiming from one delivery queue
at once: every inbox gets its activity once, signed, in one attempt."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fedishare.core.config import load_config
from fedishare.storage import notify
from fedishare.storage.database import open_database
from fedishare.storage.outbox import enqueue_deliveries, insert_activity
from tests.databases import backend, fresh_database
from tests.inbox_recorder import recording_inboxes
from tests.processes import cli, local_site, running
from tests.waiting import eventually

pytestmark = pytest.mark.skipif(
    backend() != "postgresql",
    reason="needs a PostgreSQL server: set FEDISHARE_TEST_POSTGRES to its URL",
)

INBOXES = 80
PORTS = 2
ANSWER_DELAY = 0.05


async def test_two_worker_processes_deliver_each_activity_once(tmp_path: Path) -> None:
    site, port = await local_site(tmp_path, "oak", database_url=fresh_database(tmp_path, "oak"))
    toml = site / "instance.toml"
    text = toml.read_text()
    assert "delivery_concurrency = 50" in text and "delivery_per_host = 8" in text
    toml.write_text(
        text.replace("delivery_concurrency = 50", "delivery_concurrency = 8").replace(
            "delivery_per_host = 8", "delivery_per_host = 2"
        )
    )
    assert (await cli(site, "account", "create", "alice"))[0] == 0
    target = load_config(toml).database_url
    alice = f"http://127.0.0.1:{port}/users/alice"
    async with open_database(target) as db:
        pem = await db.fetch_value("SELECT public_key_pem FROM local_actors WHERE id = 1")
        log = tmp_path / "received.log"
        with recording_inboxes(PORTS, delay=ANSWER_DELAY, log=log, public_key_pem=pem) as rec:
            paths = [f"/users/u{i}/inbox" for i in range(INBOXES)]
            urls = [f"http://127.0.0.1:{rec.ports[i % PORTS]}{p}" for i, p in enumerate(paths)]
            async with (
                running(site, "work", "--queues", "delivery", log="one.log"),
                running(site, "work", "--queues", "delivery", log="two.log"),
            ):

                async def both_working() -> bool:
                    logs = [site / "one.log", site / "two.log"]
                    return all(p.exists() and "working for" in p.read_text() for p in logs)

                await eventually(both_working, within=60, every=0.1)
                activity = {"id": f"{alice}/activities/1", "type": "Create", "actor": alice}
                async with db.transaction() as tx:
                    rowid = await insert_activity(
                        tx, actor_id=1, activity=activity, public=True, now=time.time()
                    )
                    await enqueue_deliveries(tx, rowid, urls, time.time())
                    await notify.notify(tx, notify.DELIVERIES)

                async def all_delivered() -> bool:
                    rows = await db.fetch_all(
                        "SELECT state, count(*) FROM deliveries GROUP BY state"
                    )
                    return {r[0]: r[1] for r in rows} == {"delivered": INBOXES}

                await eventually(all_delivered, within=60, every=0.1)
            received = rec.received()
        assert sorted(d.path for d in received) == sorted(paths)  # each once
        assert {d.verdict for d in received} == {"ok"}
        attempts = await db.fetch_all("SELECT DISTINCT attempts FROM deliveries")
        assert [r[0] for r in attempts] == [1]
