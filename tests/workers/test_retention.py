"""The retention worker: finished queue rows older than [retention] finished_days go, at start
and every round after; rows still waiting stay; a backlog goes in chunks; it stops when told."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from fedishare.context import Instance
from fedishare.federation.backoff import HOST_FAILURES_BEFORE_PAUSE, host_pause
from fedishare.lifecycle import open_instance
from fedishare.storage import deliveries, idempotency, inbox_items
from fedishare.storage.database import Database, Transaction, open_database
from fedishare.storage.deliveries import Outcome
from fedishare.storage.inbox_items import NewItem
from fedishare.storage.outbox import enqueue_deliveries, insert_activity
from fedishare.workers import retention
from fedishare.workers.retention import Pruned, prune_finished, run_retention_worker
from tests.databases import fresh_database
from tests.harness import make_config, network
from tests.waiting import eventually

DAY = 86_400.0
START = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def inst(tmp_path: Path, clock: Clock) -> AsyncIterator[Instance]:
    config = make_config(tmp_path, "oak.test", retention={"finished_days": 3})
    async with httpx.AsyncClient() as client, open_instance(config, http=client, clock=clock) as i:
        yield i


async def fill(db: Database, now: float) -> None:
    """Per queue, rows finished 5 and 4 days ago (old), one finished 2 days ago (recent) and
    one still waiting since 10 days ago."""
    async with db.transaction() as tx:
        await inbox_items.insert_many(
            tx,
            [NewItem(f"http://p.test/{n}", "http://p.test/u", None, "{}") for n in range(4)],
            now - 10 * DAY,
        )
        await inbox_items.claim_due(tx, now - 10 * DAY, 60.0, 4)
        await inbox_items.mark_processed(tx, [1], now - 5 * DAY)
        await inbox_items.mark_failed(tx, [(2, "no")], now - 4 * DAY)
        await inbox_items.mark_processed(tx, [3], now - 2 * DAY)
        await inbox_items.retry_later(tx, [(4, "later", now - 9 * DAY)])
        actor = await tx.insert(
            "INSERT INTO local_actors (username, kind, private_key_pem, public_key_pem,"
            " created_at) VALUES ('ann', 'person', '-', '-', '2026-01-01T00:00:00Z')"
        )
        rowid = await insert_activity(
            tx,
            actor_id=actor,
            activity={"id": "http://oak.test/a/1", "type": "Note"},
            public=True,
            now=now - 10 * DAY,
        )
        inboxes = [f"http://peer.test/users/u{i}/inbox" for i in range(4)]
        await enqueue_deliveries(tx, rowid, inboxes, now - 10 * DAY)
        claimed = await deliveries.claim(
            tx,
            now=now - 10 * DAY,
            lease_until=now + DAY,
            limit=4,
            per_host=4,
            held={},
            probe_after=HOST_FAILURES_BEFORE_PAUSE,
        )
        states: tuple[deliveries.State, ...] = ("delivered", "gone", "failed")
        for claim, state, days in zip(claimed[:3], states, (5, 4, 2), strict=True):
            outcome = Outcome(claim.id, claim.host, claim.inbox, state)
            await deliveries.record(tx, [outcome], now - days * DAY, host_pause)


async def remaining(db: Database) -> tuple[list[str], list[str]]:
    """The states of the inbox items and of the deliveries left, oldest first."""
    items = await db.fetch_all("SELECT state FROM inbox_items ORDER BY id")
    sent = await db.fetch_all("SELECT state FROM deliveries ORDER BY id")
    return [r[0] for r in items], [r[0] for r in sent]


async def test_prune_finished_takes_rows_past_finished_days(inst: Instance) -> None:
    await fill(inst.db, START.timestamp())
    assert await prune_finished(inst) == Pruned(inbox_items=2, deliveries=2)
    assert await remaining(inst.db) == (["processed", "received"], ["failed", "pending"])
    assert await prune_finished(inst) == Pruned(0, 0)
    # The activity itself stays: the outbox collection serves it.
    assert await inst.db.fetch_value("SELECT count(*) FROM outbox_activities") == 1


async def test_a_backlog_goes_in_chunks_and_stops_between_them(
    inst: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = START.timestamp()
    items = [NewItem(f"http://p.test/{n}", "http://p.test/u", None, "{}") for n in range(5)]
    async with inst.db.transaction() as tx:
        await inbox_items.insert_many(tx, items, now - 10 * DAY)
        await inbox_items.claim_due(tx, now - 10 * DAY, 60.0, 5)
        await inbox_items.mark_processed(tx, [1, 2, 3, 4, 5], now - 5 * DAY)
    chunks: list[int] = []
    stop = asyncio.Event()
    delete = inbox_items.delete_finished

    async def counted(tx: Transaction, before: float, limit: int) -> int:
        chunks.append(await delete(tx, before, limit))
        if len(chunks) == 2:
            stop.set()
        return chunks[-1]

    monkeypatch.setattr(retention, "CHUNK_ROWS", 2)
    monkeypatch.setattr(inbox_items, "delete_finished", counted)
    assert await prune_finished(inst, stop) == Pruned(inbox_items=4, deliveries=0)
    assert chunks == [2, 2]
    stop.clear()
    assert await prune_finished(inst, stop) == Pruned(inbox_items=1, deliveries=0)
    assert chunks == [2, 2, 1]


async def test_the_worker_prunes_at_start_and_stops_when_told(
    inst: Instance, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fedishare.workers.retention")
    await fill(inst.db, START.timestamp())
    stop = asyncio.Event()
    task = asyncio.create_task(run_retention_worker(inst, stop))
    try:
        await eventually(lambda: left(inst.db, (["processed", "received"], ["failed", "pending"])))
        # The round logs once its last deletion is committed (and seen here): wait for it.
        await eventually(
            lambda: logged(
                caplog,
                "deleted 2 finished inbox item(s), 2 finished delivery row(s) and 0 published"
                " activity(ies) no longer needed, older than 3 days",
            )
        )
    finally:
        # The worker is in its hour's wait now; being told to stop ends it.
        stop.set()
        done, _ = await asyncio.wait([task], timeout=10)
        task.cancel()  # a worker that did not stop
    assert task in done and task.exception() is None


async def test_each_round_finds_what_has_aged_since(
    inst: Instance, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fedishare.workers.retention")
    monkeypatch.setattr(retention, "INTERVAL_SECONDS", 0.01)
    await fill(inst.db, START.timestamp())
    stop = asyncio.Event()
    task = asyncio.create_task(run_retention_worker(inst, stop))
    try:
        await eventually(lambda: left(inst.db, (["processed", "received"], ["failed", "pending"])))
        clock.now += timedelta(days=2)
        await eventually(lambda: left(inst.db, (["received"], ["pending"])))
        await eventually(
            lambda: logged(caplog, "deleted 1 finished inbox item(s), 1 finished delivery row(s)")
        )
    finally:
        stop.set()
        done, _ = await asyncio.wait([task], timeout=10)
        task.cancel()  # a worker that did not stop
    assert task in done and task.exception() is None


async def test_a_running_instance_prunes_what_it_starts_with(tmp_path: Path) -> None:
    # The database exists before the instance starts, with rows from long ago.
    retention_days = {"finished_days": 3}
    database = fresh_database(tmp_path, "oak.test")  # the one make_config names
    now = START.timestamp()
    async with open_database(database) as db:
        await fill(db, now)
    async with network(tmp_path, clock=Clock()) as net:
        node = await net.add("oak.test", retention=retention_days)
        db = node.instance.db

        async def old_rows_gone() -> bool:
            old: int = await db.fetch_value(
                "SELECT (SELECT count(*) FROM inbox_items WHERE processed_at < :cut)"
                " + (SELECT count(*) FROM deliveries WHERE finished_at < :cut)",
                {"cut": now - 3 * DAY},
            )
            return old == 0

        await eventually(old_rows_gone)
        recent = await db.fetch_value(
            "SELECT (SELECT count(*) FROM inbox_items WHERE processed_at = :at)"
            " + (SELECT count(*) FROM deliveries WHERE finished_at = :at)",
            {"at": now - 2 * DAY},
        )
        assert recent == 2


async def left(db: Database, expected: tuple[list[str], list[str]]) -> bool:
    return await remaining(db) == expected


async def logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return text in caplog.text


async def test_idempotency_keys_are_forgotten_after_their_hour(
    inst: Instance, clock: Clock
) -> None:
    """A key matches for an hour (an app's retries); after that it only takes room."""
    now = clock().timestamp()
    async with inst.db.transaction() as tx:
        await idempotency.remember(tx, 1, "old", "http://oak.test/notes/1", now - 3601)
        await idempotency.remember(tx, 1, "new", "http://oak.test/notes/2", now - 60)
    assert (await prune_finished(inst)).idempotency_keys == 1
    assert await idempotency.find(inst.db, 1, "new", now - 3600) == "http://oak.test/notes/2"
    assert await idempotency.find(inst.db, 1, "old", 0) is None
