"""`fedishare work --queues`: a process runs only the queues it is given; a name that is no
queue is refused before anything starts."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest

from fedishare.context import Instance
from fedishare.core.config import load_config
from fedishare.inbox.worker import run_inbox_worker
from fedishare.listings.expiry import run_expiry_worker
from fedishare.remote.delivery import run_delivery_worker
from fedishare.storage import deliveries, inbox_items
from fedishare.storage.database import open_database
from fedishare.storage.inbox_items import NewItem
from fedishare.storage.outbox import enqueue_deliveries, insert_activity
from fedishare.workers.heartbeat import run_heartbeat
from fedishare.workers.host_watch import run_host_watch
from fedishare.workers.retention import run_retention_worker
from fedishare.workers.runner import ALL_WORKERS, UnknownQueue, work, workers_for
from tests.databases import backend, fresh_database
from tests.harness import make_config
from tests.processes import cli, local_site, running
from tests.waiting import eventually

QUEUES = "delivery, inbox, expiry, retention"
LONG_AGO = 1_000.0  # when the test's rows fell due: any claim moves it


def test_queue_names_choose_the_workers() -> None:
    assert workers_for("all") == ALL_WORKERS
    assert workers_for("inbox") == (run_inbox_worker, run_heartbeat)
    assert workers_for(" delivery,expiry ") == (
        run_delivery_worker,
        run_host_watch,
        run_expiry_worker,
        run_heartbeat,
    )
    assert set(workers_for("retention,inbox,delivery,expiry")) == set(ALL_WORKERS)
    assert run_retention_worker in workers_for("retention")
    for wrong in ("inbox,outbox", "", ","):
        with pytest.raises(UnknownQueue, match=f"the queues are {QUEUES}"):
            workers_for(wrong)


async def test_work_runs_only_the_workers_of_its_queues(tmp_path: Path) -> None:
    stop = asyncio.Event()
    names: list[str] = []

    def started(inst: Instance) -> None:
        names.extend(sorted(task.get_name() for task in asyncio.all_tasks()))
        stop.set()

    config = make_config(tmp_path, "oak.test")
    await asyncio.wait_for(
        work(config, stop, started=started, workers=workers_for("inbox,expiry")), 30
    )
    assert [n for n in names if n.startswith("run_")] == [
        "run_expiry_worker",
        "run_heartbeat",
        "run_inbox_worker",
    ]


async def test_an_unknown_queue_is_refused(tmp_path: Path) -> None:
    site, _ = await local_site(tmp_path, "oak")
    code, out, err = await cli(site, "work", "--queues", "inbox,outbox")
    assert code == 1
    assert out == ""
    assert err == f"fedishare: unknown queue 'outbox': the queues are {QUEUES} (or all)\n"


async def test_a_process_given_the_inbox_queue_leaves_deliveries_alone(tmp_path: Path) -> None:
    url = fresh_database(tmp_path, "oak") if backend() == "postgresql" else None
    site, _ = await local_site(tmp_path, "oak", database_url=url)
    assert (await cli(site, "account", "create", "alice"))[0] == 0
    target = load_config(site / "instance.toml").database_url
    async with open_database(target) as db:
        async with db.transaction() as tx:
            rowid = await insert_activity(
                tx,
                actor_id=1,
                activity={"id": "http://127.0.0.1/activities/1", "type": "Create"},
                public=True,
                now=LONG_AGO,
            )
            await enqueue_deliveries(tx, rowid, ["http://127.0.0.1:9/inbox"], LONG_AGO)
            like = {"id": "http://127.0.0.1:9/likes/1", "type": "Like"}
            await inbox_items.insert_many(
                tx,
                [NewItem(like["id"], "http://127.0.0.1:9/users/x", None, json.dumps(like))],
                LONG_AGO,
            )

        async with running(site, "work", "--queues", "inbox", log="work.log") as worker:

            async def attempted() -> bool:
                row = await db.fetch_one("SELECT attempts, state FROM inbox_items")
                return row is not None and (row[0] > 0 or row[1] != "received")

            await eventually(attempted, within=30, every=0.1)
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=15) == 0
        [delivery] = await deliveries.for_activity(db, rowid)
        assert (delivery["attempts"], delivery["next_try"]) == (0, LONG_AGO)
    assert "(queues: inbox)" in (site / "work.log").read_text()
