"""The delivery worker, against recording inboxes on fake hosts (no sockets).

Two ways of running it: the app's own background worker (end to end, waited on with bounded
polling), and a `DeliveryWorker` driven turn by turn under a fake clock (backoff, pauses and
outcomes, without sleeping).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from fedishare.accounts.members import create_member
from fedishare.app import create_app
from fedishare.context import Instance
from fedishare.federation import backoff
from fedishare.federation.public_key import ResolvedKey, load_public_key
from fedishare.federation.verification import verify_request
from fedishare.remote.delivery import LEASE, DeliveryWorker
from fedishare.remote.publish import publish
from fedishare.storage import deliveries as store
from fedishare.storage import follows, remote_actors
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Row
from fedishare.storage.remote_actors import RemoteActor
from tests.harness import HostRouter, Network, Node, make_config

HERE = "here.test"
ALICE = f"http://{HERE}/users/alice"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def timestamp(self) -> float:
        return self.now.timestamp()


@dataclass
class Received:
    host: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: datetime


@dataclass
class Sink:
    """Inboxes on any number of hosts: records every request, answers `status(host, n)` (n
    counts that host's requests from 1), holds a host's requests while its gate is closed,
    and notes the most requests ever in flight, per host and in all."""

    clock: FakeClock
    status: Callable[[str, int], int] = lambda host, n: 202
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    active: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    peak_total: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        host = headers["host"]
        self.received.append(Received(host, scope["path"], headers, body, self.clock()))
        count = sum(1 for r in self.received if r.host == host)
        self.active[host] += 1
        self.peak[host] = max(self.peak[host], self.active[host])
        self.peak_total = max(self.peak_total, sum(self.active.values()))
        try:
            if host in self.gates:
                await self.gates[host].wait()
            status = self.status(host, count)
        finally:
            self.active[host] -= 1
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def to(self, host: str) -> list[Received]:
        return [r for r in self.received if r.host == host]


@dataclass
class Rig:
    inst: Instance
    alice: LocalActor
    sink: Sink
    clock: FakeClock
    router: HostRouter

    async def publish(self, inboxes: list[str], number: int = 1) -> dict[str, Any]:
        activity = note(number)
        await publish(self.inst, self.alice, activity, inboxes)
        return activity

    async def rows(self) -> list[Row]:
        return await self.inst.db.fetch_all("SELECT * FROM deliveries ORDER BY id")

    async def row(self, inbox: str) -> Row:
        rows = [r for r in await self.rows() if r["inbox"] == inbox]
        assert len(rows) == 1
        return rows[0]


def note(number: int) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"http://{HERE}/activities/{number}",
        "type": "Create",
        "actor": ALICE,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": f"http://{HERE}/objects/{number}",
            "type": "Note",
            "attributedTo": ALICE,
            "content": "Lending a ladder — ask me ✓",
        },
    }


def inboxes(host: str, count: int) -> list[str]:
    return [f"http://{host}/users/u{i}/inbox" for i in range(count)]


@asynccontextmanager
async def rig(
    tmp_path: Path,
    *,
    workers: bool,
    sink_hosts: tuple[str, ...] = ("sink.test",),
    **sections: dict[str, Any],
) -> AsyncIterator[Rig]:
    clock = FakeClock()
    router = HostRouter()
    sink = Sink(clock)
    for host in sink_hosts:
        router.add(host, sink)
    config = make_config(tmp_path, HERE, **sections)
    async with httpx.AsyncClient(transport=router, timeout=10.0) as client:
        app = create_app(config, http=client, clock=clock, workers=workers)
        async with app.router.lifespan_context(app) as state:
            assert state is not None
            inst: Instance = state["instance"]
            alice = await create_member(inst.db, clock, "alice")
            yield Rig(inst, alice, sink, clock, router)


_workers: list[DeliveryWorker] = []


def closing(worker: DeliveryWorker) -> DeliveryWorker:
    """Have `worker`'s signing process stopped at the end of the test."""
    _workers.append(worker)
    return worker


@pytest.fixture(autouse=True)
async def _close_workers() -> AsyncIterator[None]:
    yield
    while _workers:
        await _workers.pop().aclose()


@pytest.fixture
async def manual(tmp_path: Path) -> AsyncIterator[tuple[Rig, DeliveryWorker]]:
    """No background worker: the test turns the worker's crank itself."""
    async with rig(tmp_path, workers=False, sink_hosts=("sink.test", "other.test")) as r:
        yield r, closing(DeliveryWorker(r.inst))


async def turn(worker: DeliveryWorker) -> int:
    """Claim and send what is due, wait for every answer, and record the outcomes."""
    started = await worker.step()
    await worker.wait_idle()
    await worker.step()
    await worker.wait_idle()
    return started


async def eventually(check: Callable[[], Awaitable[bool] | bool], timeout: float = 10.0) -> None:
    """Poll `check` until it is true (bounded, so a stuck worker fails the test)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if result if isinstance(result, bool) else await result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        await asyncio.sleep(0.01)


def verifier(alice: LocalActor) -> Callable[[str, bool], Awaitable[ResolvedKey]]:
    key = load_public_key(alice.public_key_pem)

    async def resolve(key_id: str, refresh: bool) -> ResolvedKey:
        assert key_id == f"{ALICE}#main-key"
        return ResolvedKey(key_id=key_id, owner=ALICE, public_key=key)

    return resolve


async def verify(r: Rig, received: Received) -> ResolvedKey:
    return await verify_request(
        "POST",
        received.path,
        received.headers,
        received.body,
        resolve_key=verifier(r.alice),
        now=received.at,
    )


# --- end to end: the app's own worker ------------------------------------------------------


async def test_a_published_activity_arrives_signed_and_byte_exact(tmp_path: Path) -> None:
    async with rig(tmp_path, workers=True) as r:
        inbox = "http://sink.test/users/bob/inbox"
        activity = await r.publish([inbox])
        await eventually(lambda: len(r.sink.received) == 1)
        got = r.sink.received[0]
        assert got.path == "/users/bob/inbox"
        stored = await r.inst.db.fetch_value("SELECT document FROM outbox_activities")
        assert got.body == stored.encode("utf-8")
        assert json.loads(got.body) == activity
        assert got.headers["content-type"] == "application/activity+json"
        key = await verify(r, got)
        assert key.owner == ALICE
        signed = got.headers["signature"]
        assert 'headers="(request-target) host date digest content-type"' in signed

        async def delivered() -> bool:
            return bool((await r.row(inbox))["state"] == "delivered")

        await eventually(delivered)
        row = await r.row(inbox)
        assert (row["attempts"], row["last_status"], row["last_error"]) == (1, 202, None)


async def test_a_slow_host_holds_up_no_other_and_per_host_bounds_hold(tmp_path: Path) -> None:
    hosts = ("slow.test", "fast.test", "quick.test")
    limits = {"delivery_concurrency": 5, "delivery_per_host": 2}
    async with rig(tmp_path, workers=True, sink_hosts=hosts, limits=limits) as r:
        r.sink.gates["slow.test"] = gate = asyncio.Event()
        await r.publish([u for h in hosts for u in inboxes(h, 10)])
        # Everything for the other hosts arrives while two requests to slow.test hang.
        await eventually(lambda: len(r.sink.received) == 22)
        assert len(r.sink.to("slow.test")) == 2
        assert r.sink.active["slow.test"] == 2
        gate.set()
        await eventually(lambda: len(r.sink.received) == 30)

        async def all_delivered() -> bool:
            return await store.count_by_state(r.inst.db) == {"delivered": 30}

        await eventually(all_delivered)
        assert max(r.sink.peak.values()) == 2
        assert r.sink.peak_total <= 5


async def test_stopping_abandons_hanging_attempts_and_keeps_their_rows(tmp_path: Path) -> None:
    async with rig(tmp_path, workers=False, sink_hosts=("slow.test",)) as r:
        r.sink.gates["slow.test"] = asyncio.Event()  # never opened
        await r.publish(inboxes("slow.test", 3))
        worker = DeliveryWorker(r.inst)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        await eventually(lambda: len(r.sink.received) == 3)
        loop = asyncio.get_running_loop()
        started = loop.time()
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        assert loop.time() - started < 5
        rows = await r.rows()
        now = r.clock.timestamp()
        assert [(x["state"], x["attempts"]) for x in rows] == [("pending", 0)] * 3
        assert all(x["next_try"] <= now for x in rows)


# --- turn by turn, under a fake clock ------------------------------------------------------


async def test_every_attempt_is_signed_afresh(manual: tuple[Rig, DeliveryWorker]) -> None:
    r, worker = manual
    r.sink.status = lambda host, n: 503 if n == 1 else 202
    inbox = "http://sink.test/users/bob/inbox"
    await r.publish([inbox])
    assert await turn(worker) == 1
    row = await r.row(inbox)
    assert (row["state"], row["attempts"], row["last_status"]) == ("pending", 1, 503)
    assert row["next_try"] == r.clock.timestamp() + backoff.FIRST_DELAY
    assert row["last_error"] == "HTTP 503"
    # Not due yet: nothing is sent.
    r.clock.advance(backoff.FIRST_DELAY - 1)
    assert await turn(worker) == 0
    r.clock.advance(1)
    assert await turn(worker) == 1
    first, second = r.sink.received
    assert first.headers["date"] != second.headers["date"]
    assert first.headers["signature"] != second.headers["signature"]
    assert first.body == second.body
    for got in (first, second):
        assert (await verify(r, got)).owner == ALICE
    row = await r.row(inbox)
    assert (row["state"], row["attempts"], row["last_status"]) == ("delivered", 2, 202)


async def test_retries_follow_the_backoff_then_give_up(manual: tuple[Rig, DeliveryWorker]) -> None:
    r, worker = manual
    r.sink.status = lambda host, n: 500
    inbox = "http://sink.test/users/bob/inbox"
    await r.publish([inbox])
    waits = []
    for attempt in range(1, backoff.MAX_ATTEMPTS + 1):
        assert await turn(worker) == 1
        row = await r.row(inbox)
        assert row["attempts"] == attempt
        if row["state"] != "pending":
            break
        waits.append(row["next_try"] - r.clock.timestamp())
        # Keep the host from being paused: this test is about one row's schedule.
        async with r.inst.db.transaction() as tx:
            await tx.execute("DELETE FROM delivery_hosts")
        r.clock.advance(waits[-1])
    assert waits == backoff.schedule()
    assert row["state"] == "failed" and row["attempts"] == backoff.MAX_ATTEMPTS
    assert row["last_error"] == f"gave up after {backoff.MAX_ATTEMPTS} attempts: HTTP 500"
    assert len(r.sink.received) == backoff.MAX_ATTEMPTS


async def test_410_marks_the_inbox_gone_and_stops_delivering_to_it(
    tmp_path: Path,
) -> None:
    limits = {"delivery_per_host": 1}
    async with rig(tmp_path, workers=False, limits=limits) as r:
        worker = closing(DeliveryWorker(r.inst))
        r.sink.status = lambda host, n: 410
        inbox = "http://sink.test/users/gone/inbox"
        await r.publish([inbox], number=1)
        await r.publish([inbox], number=2)
        await turn(worker)
        assert len(r.sink.received) == 1  # the second was never sent
        rows = await r.rows()
        assert [(x["state"], x["last_status"]) for x in rows] == [("gone", 410)] * 2


async def test_410_from_an_actors_own_inbox_ends_only_that_actors_follows(
    manual: tuple[Rig, DeliveryWorker], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fedishare.remote.delivery")
    r, worker = manual
    r.sink.status = lambda host, n: 410 if host == "sink.test" else 202
    await add_followers(
        r,
        {
            "http://sink.test/users/ann": "http://sink.test/inbox",
            "http://sink.test/users/bob": "http://sink.test/inbox",
        },
    )
    await r.publish(["http://sink.test/users/ann/inbox"])

    await turn(worker)

    assert await follows.followers(r.inst.db, ALICE, limit=10, offset=0) == [
        "http://sink.test/users/bob"
    ]
    assert "http://sink.test/users/ann no longer follows" in caplog.text
    assert "410 Gone" in caplog.text


async def test_410_from_a_shared_inbox_ends_no_follows(
    manual: tuple[Rig, DeliveryWorker], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fedishare.remote.delivery")
    r, worker = manual
    r.sink.status = lambda host, n: 410 if host == "sink.test" else 202
    shared = "http://sink.test/inbox"
    followers = {
        "http://sink.test/users/ann": shared,
        "http://sink.test/users/bob": shared,
        # Claims sink.test's shared inbox as its own: that must not make it removable.
        "http://other.test/users/cy": shared,
    }
    await add_followers(r, followers)
    await r.publish([shared])

    await turn(worker)

    assert [x["state"] for x in await r.rows()] == ["gone"]
    assert sorted(await follows.followers(r.inst.db, ALICE, limit=10)) == sorted(followers)
    assert "no longer follows" not in caplog.text
    assert f"shared inbox {shared} answered 410 Gone" in caplog.text


async def add_followers(r: Rig, followers: dict[str, str]) -> None:
    """Store each actor (its own inbox is `<actor>/inbox`, its shared inbox the value) and
    make it follow alice."""
    async with r.inst.db.transaction() as tx:
        for n, (actor, inbox) in enumerate(followers.items()):
            await remote_actors.upsert(tx, remote_actor(actor, inbox), {})
            await follows.upsert(tx, actor, ALICE, f"{actor}#follow/{n}", "accepted", "2026")


def remote_actor(actor: str, shared_inbox: str) -> RemoteActor:
    return RemoteActor(
        id=actor,
        host=actor.split("/")[2],
        type="Person",
        preferred_username=actor.rsplit("/", 1)[1],
        name="",
        inbox=f"{actor}/inbox",
        shared_inbox=shared_inbox,
        followers=None,
        key_id=f"{actor}#main-key",
        public_key_pem="",
        fetched_at=0.0,
    )


@pytest.mark.parametrize(
    ("status", "state", "retried"),
    [
        (200, "delivered", False),
        (202, "delivered", False),
        (204, "delivered", False),
        (400, "failed", False),
        (403, "failed", False),
        (404, "failed", False),
        (422, "failed", False),
        (408, "pending", True),
        (429, "pending", True),
        (500, "pending", True),
        (502, "pending", True),
        (503, "pending", True),
        (401, "pending", True),
        (302, "pending", True),
    ],
)
async def test_what_each_status_means(
    manual: tuple[Rig, DeliveryWorker], status: int, state: str, retried: bool
) -> None:
    r, worker = manual
    r.sink.status = lambda host, n: status
    inbox = "http://sink.test/users/bob/inbox"
    await r.publish([inbox])
    await turn(worker)
    row = await r.row(inbox)
    assert (row["state"], row["last_status"]) == (state, status)
    if retried:
        assert row["next_try"] == r.clock.timestamp() + backoff.FIRST_DELAY


async def test_401_is_retried_a_few_times_only(manual: tuple[Rig, DeliveryWorker]) -> None:
    r, worker = manual
    r.sink.status = lambda host, n: 401
    inbox = "http://sink.test/users/bob/inbox"
    await r.publish([inbox])
    for _ in range(backoff.MAX_UNAUTHORIZED_ATTEMPTS):
        await turn(worker)
        r.clock.advance(backoff.MAX_DELAY)
    row = await r.row(inbox)
    assert (row["state"], row["attempts"]) == ("failed", backoff.MAX_UNAUTHORIZED_ATTEMPTS)
    assert row["last_error"].startswith("gave up after 3 attempts: HTTP 401")
    # A refusal says the host is up: no failures counted against it.
    assert await store.get_host(r.inst.db, "sink.test") is None


async def test_retry_after_is_honoured(manual: tuple[Rig, DeliveryWorker]) -> None:
    r, worker = manual

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"retry-after", b"600")]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    r.router.add("busy.test", limited)
    await r.publish(["http://busy.test/inbox"])
    await turn(worker)
    row = await r.row("http://busy.test/inbox")
    assert row["next_try"] == r.clock.timestamp() + 600


async def test_unreachable_hosts_are_retried_and_paused_without_holding_up_others(
    manual: tuple[Rig, DeliveryWorker],
) -> None:
    r, worker = manual
    down = inboxes("down.test", 6)  # nothing listens on down.test: connection refused
    await r.publish(down + inboxes("sink.test", 3))
    await turn(worker)
    assert len(r.sink.received) == 3
    host = await store.get_host(r.inst.db, "down.test")
    assert host is not None and host["failures"] == 6
    pause = backoff.host_pause(6)
    assert host["paused_until"] == r.clock.timestamp() + pause
    assert "ConnectError" in host["last_error"]
    row = await r.row(down[0])
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert "ConnectError" in row["last_error"]

    # While paused, the host's rows wait even when due; other hosts go on.
    r.clock.advance(backoff.FIRST_DELAY)
    await r.publish(inboxes("other.test", 2), number=2)
    assert await turn(worker) == 2
    assert [x["attempts"] for x in await r.rows() if x["host"] == "down.test"] == [1] * 6

    # After the pause: one probe at a time; when it succeeds, the rest follow.
    r.clock.advance(pause)
    r.router.add("down.test", r.sink)
    assert await worker.step() == 1
    await worker.wait_idle()
    await turn(worker)
    host = await store.get_host(r.inst.db, "down.test")
    assert host is not None and (host["failures"], host["paused_until"]) == (0, 0)
    assert await store.count_by_state(r.inst.db) == {"delivered": 11}


async def test_blocked_hosts_are_never_contacted(tmp_path: Path) -> None:
    federation = {"block": ["blocked.test"]}
    hosts = ("blocked.test", "sub.blocked.test", "sink.test")
    async with rig(tmp_path, workers=False, sink_hosts=hosts, federation=federation) as r:
        worker = closing(DeliveryWorker(r.inst))
        await r.publish([f"http://{h}/inbox" for h in hosts])
        await turn(worker)
        assert [x.host for x in r.sink.received] == ["sink.test"]
        states = {x["host"]: (x["state"], x["last_error"]) for x in await r.rows()}
        assert states["sink.test"] == ("delivered", None)
        for host in hosts[:2]:
            assert states[host] == (
                "failed",
                f"{host} is refused by the federation settings",
            )


async def test_a_crashed_attempt_is_retried_once_its_lease_runs_out(
    manual: tuple[Rig, DeliveryWorker],
) -> None:
    r, worker = manual
    r.sink.gates["sink.test"] = hung = asyncio.Event()
    inbox = "http://sink.test/users/bob/inbox"
    await r.publish([inbox])
    assert await worker.step() == 1
    await eventually(lambda: len(r.sink.received) == 1)
    # The process "dies": this worker is never heard of again. A new one starts.
    fresh = closing(DeliveryWorker(r.inst))
    assert await fresh.step() == 0
    r.clock.advance(LEASE)
    r.sink.gates.clear()
    assert await turn(fresh) == 1
    row = await r.row(inbox)
    assert (row["state"], row["attempts"]) == ("delivered", 2)
    assert len(r.sink.received) == 2  # at least once: the first may have arrived too
    hung.set()
    await worker.wait_idle()


# --- two instances, both workers running ----------------------------------------------------


async def test_a_follow_crosses_to_another_instance_and_its_accept_comes_back(
    net: Network,
) -> None:
    from fedishare.follows.following import follow_actor
    from fedishare.storage import follows

    oak, elm = await net.add("oak.test"), await net.add("elm.test")
    alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
    await create_member(elm.instance.db, elm.instance.clock, "bob")
    follow = await follow_actor(oak.instance, alice, "http://elm.test/users/bob")

    async def accepted() -> bool:
        found = await follows.find(oak.instance.db, "http://oak.test/users/alice", follow["object"])
        return found is not None and found.state == "accepted"

    await eventually(accepted, timeout=20)
    # Each side delivered once: oak the Follow to bob's inbox, elm the Accept to alice's
    # (each worker records an outcome at its next turn, which may come after oak took the
    # Accept in).
    for node, inbox in (
        (oak, "http://elm.test/users/bob/inbox"),
        (elm, "http://oak.test/users/alice/inbox"),
    ):

        async def recorded(node: Node = node) -> bool:
            done = "SELECT 1 FROM deliveries WHERE state != 'pending'"
            return bool(await node.instance.db.fetch_all(done))

        await eventually(recorded)
        rows = await node.instance.db.fetch_all("SELECT * FROM deliveries")
        assert [(r["inbox"], r["state"], r["last_status"]) for r in rows] == [
            (inbox, "delivered", 202)
        ]
