"""The inbox worker: order, outcomes, retries with backoff, leases, and stopping mid-queue.

Most tests drive ``process_due`` by hand on an instance without background workers, with a
clock they move themselves; the last ones run the real app and restart it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from fedishare.context import Instance
from fedishare.inbox import dispatch
from fedishare.inbox.item import InboxItem, Rejected
from fedishare.inbox.store import running_writer
from fedishare.inbox.worker import (
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    process_due,
    retry_delay,
    run_inbox_worker,
)
from fedishare.lifecycle import open_instance
from fedishare.storage import inbox_items
from fedishare.storage.inbox_items import NewItem
from tests.databases import fresh_database
from tests.harness import make_config, network
from tests.mastodon_peer import MastodonPeer, rsa_key
from tests.waiting import eventually

KIND = "FedishareTestPing"
ACTOR = "http://mastodon.test/users/john"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Recorder:
    """The handler for KIND: records each call; ``behaviour`` may raise or block per id."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.behaviour: dict[str, Any] = {}

    async def __call__(self, inst: Instance, item: InboxItem) -> None:
        activity_id = item.activity["id"]
        self.calls.append(activity_id)
        action = self.behaviour.get(activity_id)
        if isinstance(action, BaseException):
            raise action
        if action is not None:
            await action(inst, item)


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setitem(cast(dict[str, Any], dispatch.HANDLERS), KIND, (recorder,))
    return recorder


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def inst(tmp_path: Path, clock: Clock) -> AsyncIterator[Instance]:
    config = make_config(tmp_path, "oak.test")
    async with httpx.AsyncClient() as client, open_instance(config, http=client, clock=clock) as i:
        yield i


def activity_id(n: int) -> str:
    return f"{ACTOR}/pings/{n}"


async def queue(inst: Instance, *numbers: int, kind: str = KIND) -> None:
    items = [
        NewItem(
            activity_id(n),
            ACTOR,
            None,
            json.dumps({"id": activity_id(n), "type": kind, "actor": ACTOR}),
        )
        for n in numbers
    ]
    async with inst.db.transaction() as tx:
        await inbox_items.insert_many(tx, items, inst.clock().timestamp())


async def states(inst: Instance) -> list[tuple[str, str, int]]:
    rows = await inst.db.fetch_all(
        "SELECT activity_id, state, attempts FROM inbox_items ORDER BY id"
    )
    return [(r[0].rsplit("/", 1)[1], r[1], r[2]) for r in rows]


async def test_items_are_processed_in_order_and_marked(inst: Instance, handler: Recorder) -> None:
    await queue(inst, 1, 2, 3)
    assert await process_due(inst) == 3
    assert handler.calls == [activity_id(1), activity_id(2), activity_id(3)]
    assert await states(inst) == [
        ("1", "processed", 1),
        ("2", "processed", 1),
        ("3", "processed", 1),
    ]
    assert await process_due(inst) == 0


async def test_types_without_a_handler_are_processed_as_ignored(inst: Instance) -> None:
    await queue(inst, 1, kind="SomethingNobodyHandles")
    await process_due(inst)
    assert await states(inst) == [("1", "processed", 1)]


async def test_rejected_fails_at_once(inst: Instance, handler: Recorder) -> None:
    handler.behaviour[activity_id(1)] = Rejected("not for us")
    await queue(inst, 1, 2)
    await process_due(inst)
    assert await states(inst) == [("1", "failed", 1), ("2", "processed", 1)]
    error = await inst.db.fetch_value(
        "SELECT error FROM inbox_items WHERE activity_id = ?", (activity_id(1),)
    )
    assert error == "Rejected: not for us"


async def test_a_body_that_is_not_json_fails(inst: Instance) -> None:
    async with inst.db.transaction() as tx:
        await inbox_items.insert_many(tx, [NewItem(activity_id(1), ACTOR, None, "{")], 0.0)
    await process_due(inst)
    assert await states(inst) == [("1", "failed", 1)]


async def test_errors_are_retried_with_backoff_then_fail(
    inst: Instance, handler: Recorder, clock: Clock
) -> None:
    handler.behaviour[activity_id(1)] = RuntimeError("peer down")
    await queue(inst, 1)
    for attempt in range(1, MAX_ATTEMPTS):
        await process_due(inst)
        assert await states(inst) == [("1", "received", attempt)]
        delay = retry_delay(attempt)
        assert delay is not None
        clock.advance(delay - 1)
        assert await process_due(inst) == 0  # not due yet
        clock.advance(1)
    await process_due(inst)
    assert await states(inst) == [("1", "failed", MAX_ATTEMPTS)]
    assert len(handler.calls) == MAX_ATTEMPTS
    error = await inst.db.fetch_value("SELECT error FROM inbox_items")
    assert error == "RuntimeError: peer down"


def test_the_backoff_schedule() -> None:
    assert [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)] == [
        30.0,
        120.0,
        480.0,
        1920.0,
        None,
    ]


async def test_a_stopped_worker_hands_back_what_it_had_not_started(
    inst: Instance, handler: Recorder
) -> None:
    stop = asyncio.Event()

    async def stop_after(inst: Instance, item: InboxItem) -> None:
        stop.set()

    handler.behaviour[activity_id(2)] = stop_after
    await queue(inst, 1, 2, 3, 4)
    assert await process_due(inst, stop) == 4  # claimed 4, did 2
    assert await states(inst) == [
        ("1", "processed", 1),
        ("2", "processed", 1),
        ("3", "received", 0),
        ("4", "received", 0),
    ]
    await process_due(inst)
    assert handler.calls == [activity_id(n) for n in (1, 2, 3, 4)]
    assert [s for _, s, _ in await states(inst)] == ["processed"] * 4


async def test_a_cancelled_worker_retries_the_interrupted_item_at_once(
    inst: Instance, handler: Recorder
) -> None:
    entered = asyncio.Event()

    async def hang(inst: Instance, item: InboxItem) -> None:
        entered.set()
        await asyncio.Event().wait()

    handler.behaviour[activity_id(2)] = hang
    await queue(inst, 1, 2, 3)
    task = asyncio.create_task(process_due(inst))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await states(inst) == [("1", "processed", 1), ("2", "received", 1), ("3", "received", 0)]

    del handler.behaviour[activity_id(2)]
    assert await process_due(inst) == 2
    assert handler.calls == [activity_id(n) for n in (1, 2, 2, 3)]
    assert await states(inst) == [
        ("1", "processed", 1),
        ("2", "processed", 2),
        ("3", "processed", 1),
    ]


async def test_items_claimed_by_a_dead_worker_are_taken_over_when_the_lease_ends(
    inst: Instance, handler: Recorder, clock: Clock
) -> None:
    await queue(inst, 1, 2)
    async with inst.db.transaction() as tx:  # another process claims both, then dies
        await inbox_items.claim_due(tx, clock().timestamp(), LEASE_SECONDS, 10)
    assert await process_due(inst) == 0
    clock.advance(LEASE_SECONDS)
    assert await process_due(inst) == 2
    assert await states(inst) == [("1", "processed", 2), ("2", "processed", 2)]


async def test_a_slow_batch_keeps_its_lease(
    inst: Instance, handler: Recorder, clock: Clock
) -> None:
    seen: list[float] = []

    async def slow(inst: Instance, item: InboxItem) -> None:
        clock.advance(LEASE_SECONDS * 0.75)

    async def look(inst: Instance, item: InboxItem) -> None:
        seen.append(await inst.db.fetch_value("SELECT next_try FROM inbox_items WHERE id = 3"))

    handler.behaviour[activity_id(1)] = slow
    handler.behaviour[activity_id(2)] = look
    await queue(inst, 1, 2, 3)
    start = clock().timestamp()
    await process_due(inst)
    # item 3 was still ahead when item 2 started: its lease was renewed from then on
    assert seen == [start + LEASE_SECONDS * 0.75 + LEASE_SECONDS]
    assert [s for _, s, _ in await states(inst)] == ["processed"] * 3


async def test_the_worker_wakes_when_the_writer_commits(inst: Instance, handler: Recorder) -> None:
    stop = asyncio.Event()
    worker = asyncio.create_task(run_inbox_worker(inst, stop))
    try:
        async with running_writer(inst.db, inst.clock, inst.wake_inbox.set) as writer:
            body = json.dumps({"id": activity_id(1), "type": KIND, "actor": ACTOR})
            await writer.store(NewItem(activity_id(1), ACTOR, None, body))
            await eventually(lambda: _processed(inst, 1))
    finally:
        stop.set()
        inst.wake_inbox.set()
        await worker
    assert handler.calls == [activity_id(1)]


async def _processed(inst: Instance, count: int) -> bool:
    done = await inst.db.fetch_value("SELECT count(*) FROM inbox_items WHERE state = 'processed'")
    return bool(done == count)


# --- the real app: stopped with a queue, started again ------------------------------------


async def test_an_app_stopped_mid_queue_resumes_after_restart(
    tmp_path: Path, handler: Recorder
) -> None:
    gate = asyncio.Event()
    entered = asyncio.Event()

    async def wait_for_gate(inst: Instance, item: InboxItem) -> None:
        entered.set()
        await gate.wait()

    handler.behaviour[activity_id(1)] = wait_for_gate
    async with network(tmp_path) as net:
        oak = await net.add("oak.test")
        peer = MastodonPeer.on(net, "mastodon.test")
        peer.add("john", rsa_key(0))
        async with net.client() as client:
            for n in range(1, 11):
                activity = {"id": activity_id(n), "type": KIND, "actor": ACTOR}
                body, headers = peer.signed_post(
                    "john", "http://oak.test/inbox", activity, now=oak.instance.clock()
                )
                response = await client.post("http://oak.test/inbox", content=body, headers=headers)
                assert response.status_code == 202
        await entered.wait()  # the worker is busy with item 1; 2..10 wait in the queue
        closing = asyncio.create_task(net.aclose())
        for _ in range(10):  # let the shutdown reach the workers' stop signal
            await asyncio.sleep(0)
        gate.set()
        await closing
        states_at_stop = [s for _, s, _ in await _states_of(tmp_path)]
    assert states_at_stop[0] == "processed"
    assert "received" in states_at_stop

    del handler.behaviour[activity_id(1)]
    async with network(tmp_path) as net:
        oak = await net.add("oak.test")
        await eventually(lambda: _processed(oak.instance, 10))
    assert handler.calls == [activity_id(n) for n in range(1, 11)]


async def _states_of(tmp_path: Path) -> list[tuple[str, str, int]]:
    from fedishare.storage.database import open_database

    async with open_database(fresh_database(tmp_path, "oak.test")) as db:
        rows = await db.fetch_all(
            "SELECT activity_id, state, attempts FROM inbox_items ORDER BY id"
        )
    return [(r[0], r[1], r[2]) for r in rows]
