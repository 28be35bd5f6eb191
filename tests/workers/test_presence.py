"""Claims left by a worker that died: handed back at once when workers start and none runs
anywhere else (the lock on DATABASE.workers), left to their leases while one does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from fedishare.context import Instance
from fedishare.inbox.worker import LEASE_SECONDS
from fedishare.lifecycle import open_instance
from fedishare.storage import inbox_items
from fedishare.storage.inbox_items import NewItem
from fedishare.workers.presence import WorkersLock
from fedishare.workers.runner import running
from tests.clock import FakeClock
from tests.harness import make_config
from tests.listings.factory import START

ACTOR = "http://mastodon.test/users/john"


@pytest.fixture
async def inst(tmp_path: Path) -> AsyncIterator[Instance]:
    config = make_config(tmp_path, "oak.test")
    async with (
        httpx.AsyncClient() as client,
        open_instance(config, http=client, clock=FakeClock(START)) as i,
    ):
        yield i


async def claimed_by_a_dead_worker(inst: Instance) -> None:
    """Three items, then a claim of all of them that nobody will finish."""
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


async def test_claims_are_handed_back_when_no_worker_runs_anywhere(inst: Instance) -> None:
    await claimed_by_a_dead_worker(inst)
    assert await due(inst) == []
    async with running(inst, []):
        assert await due(inst) == ["1", "2", "3"]  # at once, not LEASE_SECONDS later


async def test_claims_are_left_to_their_leases_while_another_process_runs_workers(
    inst: Instance,
) -> None:
    if inst.db.dialect != "sqlite":
        pytest.skip("SQLite's lock file; tests/workers/test_postgres_presence.py has the server's")
    other = WorkersLock(inst.config.instance.database)  # as another process would hold it
    try:
        assert other.alone()
        await other.share()
        await claimed_by_a_dead_worker(inst)
        async with running(inst, []):
            assert await due(inst) == []  # they may be the other process's
    finally:
        other.close()
    async with running(inst, []):  # the other process is gone: now they are handed back
        assert await due(inst) == ["1", "2", "3"]
