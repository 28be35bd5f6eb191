"""On PostgreSQL, processes that run workers (on any machine) hold the server's workers' lock:
claims left in the database are handed back at once only when nobody holds it, /readyz
tells from it whether any worker is alive, and work queued by another process wakes them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from fedishare.context import Instance
from fedishare.inbox.worker import LEASE_SECONDS
from fedishare.lifecycle import open_instance
from fedishare.storage import inbox_items
from fedishare.storage.database import open_database
from fedishare.storage.inbox_items import NewItem
from fedishare.storage.notify import DELIVERIES, notify
from fedishare.storage.postgres import PostgresDatabase
from fedishare.storage.worker_presence import ServerWorkersLock, workers_running
from fedishare.web.health import workers_problem
from fedishare.workers.runner import running
from tests.clock import FakeClock
from tests.databases import backend
from tests.harness import make_config
from tests.listings.factory import START
from tests.waiting import eventually

pytestmark = pytest.mark.skipif(
    backend() != "postgresql",
    reason="needs a PostgreSQL server: set FEDISHARE_TEST_POSTGRES to its URL",
)

ACTOR = "http://mastodon.test/users/john"


@pytest.fixture
async def inst(tmp_path: Path) -> AsyncIterator[Instance]:
    config = make_config(tmp_path, "oak.test")
    async with (
        httpx.AsyncClient() as client,
        open_instance(config, http=client, clock=FakeClock(START)) as i,
    ):
        yield i


@pytest.fixture
async def other(inst: Instance) -> AsyncIterator[PostgresDatabase]:
    """The same database as another process opens it (a pool of its own)."""
    async with open_database(inst.config.database_url) as db:
        assert isinstance(db, PostgresDatabase)
        yield db


async def claimed_by_a_dead_worker(inst: Instance) -> None:
    now = inst.clock().timestamp()
    items = [
        NewItem(f"{ACTOR}/likes/{n}", ACTOR, None, json.dumps({"id": f"{ACTOR}/likes/{n}"}))
        for n in (1, 2, 3)
    ]
    async with inst.db.transaction() as tx:
        await inbox_items.insert_many(tx, items, now)
        assert len(await inbox_items.claim_due(tx, now, LEASE_SECONDS, 10)) == 3


async def due(inst: Instance) -> list[str]:
    rows = await inst.db.fetch_all(
        "SELECT activity_id FROM inbox_items WHERE state = 'received' AND next_try <= ?"
        " ORDER BY id",
        (inst.clock().timestamp(),),
    )
    return [row[0].rsplit("/", 1)[1] for row in rows]


async def test_the_lock_is_exclusive_at_start_then_shared(
    inst: Instance, other: PostgresDatabase
) -> None:
    assert isinstance(inst.db, PostgresDatabase)
    first, second = ServerWorkersLock(inst.db), ServerWorkersLock(other)
    await first.open()
    await second.open()
    try:
        assert not await workers_running(other)
        assert await first.alone()
        assert not await second.alone()  # the first is starting
        await first.share()
        assert not await second.alone()  # the first runs workers
        await second.share()  # beside it
        assert await workers_running(other)
        await first.close()
        assert await workers_running(other)  # the second still runs
    finally:
        await first.close()
        await second.close()
    assert not await workers_running(other)
    third = ServerWorkersLock(other)
    await third.open()
    try:
        assert await third.alone()
    finally:
        await third.close()


async def test_claims_are_handed_back_only_when_no_process_runs_workers(
    inst: Instance, other: PostgresDatabase
) -> None:
    lock = ServerWorkersLock(other)  # another process, running workers
    await lock.open()
    try:
        assert await lock.alone()
        await lock.share()
        await claimed_by_a_dead_worker(inst)
        async with running(inst, []):
            assert await due(inst) == []  # they may be the other process's
    finally:
        await lock.close()
    async with running(inst, []):  # the other process is gone: now they are handed back
        assert await due(inst) == ["1", "2", "3"]


async def test_readiness_tells_whether_any_process_runs_workers(
    inst: Instance, other: PostgresDatabase
) -> None:
    problem = await workers_problem(inst)
    assert problem is not None and problem.startswith("no worker runs on this database")
    async with running(inst, []):
        assert await workers_problem(inst) is None
    assert await workers_problem(inst) is not None
    lock = ServerWorkersLock(other)  # workers in another process, maybe on another machine
    await lock.open()
    try:
        await lock.share()
        assert await workers_problem(inst) is None
    finally:
        await lock.close()


async def test_work_queued_by_another_process_wakes_the_workers(
    inst: Instance, other: PostgresDatabase
) -> None:
    inst.wake_inbox.clear()
    async with running(inst, []):
        # A web process elsewhere stores an inbox POST's activity.
        await inbox_items.store_many(other, [NewItem(f"{ACTOR}/likes/9", ACTOR, None, "{}")], 0)
        await asyncio.wait_for(inst.wake_inbox.wait(), 10)
        # A delivery queued elsewhere (fedishare.storage.notify's channel).
        inst.wake_delivery.clear()
        async with other.transaction() as tx:
            await notify(tx, DELIVERIES)
        await asyncio.wait_for(inst.wake_delivery.wait(), 10)


async def test_the_lock_is_taken_again_when_its_connection_ends(
    inst: Instance, other: PostgresDatabase
) -> None:
    assert isinstance(inst.db, PostgresDatabase)
    lock = ServerWorkersLock(inst.db)
    await lock.open()
    try:
        await lock.share()
        await lock.listen({DELIVERIES: inst.wake_delivery.set})
        first = lock.server_pid
        # The server ends that connection (a restart, a network failure, an admin).
        assert await other.fetch_value("SELECT pg_terminate_backend(?)", (first,))

        async def held_again() -> bool:
            return lock.server_pid not in (None, first) and await workers_running(other)

        await eventually(held_again, within=15, every=0.05)
        inst.wake_delivery.clear()
        async with other.transaction() as tx:
            await notify(tx, DELIVERIES)
        await asyncio.wait_for(inst.wake_delivery.wait(), 10)  # listening again too
    finally:
        await lock.close()
    assert not await workers_running(other)
