"""One instance as several processes on one PostgreSQL database: two `fedishare serve
--no-workers` (on two ports, as behind a proxy) and two `fedishare work`. 50 peers' actors
send 5,000 signed activities, and a member's post fans out to 1,000 inboxes; one process of
each kind is killed with SIGKILL while inbox items and deliveries are both waiting, and
neither is started again. The survivors take over: every activity is processed, once in
effect; every inbox receives the post; nothing is stored twice.

The activities (tests/signed_load.py signs and sends them): first 1,000 Follows of the member
alice, each from an actor of its own whose inbox is on one of a few loopback ports of a
recording child process (tests/inbox_recorder.py), then Creates of Notes by 50 actors,
addressed to the community and to alice (each is kept, and notifies her of a mention). Once
alice has her 1,000 followers she posts a Note, and the last Creates are sent as it fans out
(after the Accepts of the follows); as her post reaches its first inbox, the kill. The
senders send to the two web processes in turn, and what fails on one (the killed process)
to the other, as a proxy and a peer's redelivery would.

A worker killed leaves leases: its inbox items and deliveries are taken again by the
survivor when their leases end. Deliveries' leases last seconds; the inbox's two minutes
(fedishare.inbox.worker.LEASE_SECONDS: slow handlers fetch from other servers), which the
workers here shorten to INBOX_LEASE (WORK) so that the test does not wait that long: a
shorter lease only lets a second worker take an item sooner, which the checks of "once in
effect" would catch.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import aiohttp
import asyncpg
import httpx
import pytest

from tests.asgi_server import serving_app
from tests.conftest import _pooled_key_pair
from tests.databases import POSTGRES_ENV, backend, fresh_database
from tests.inbox_recorder import recording_inboxes
from tests.processes import free_port, run_cli, running, use_database
from tests.signed_load import KEYS, SHARE, Peer, Signed, send_all, signing
from tests.waiting import eventually

pytestmark = pytest.mark.skipif(
    backend() != "postgresql",
    reason=f"several processes share a PostgreSQL database: set {POSTGRES_ENV} to a server's URL",
)

ACTORS = 50  # the peers' actors that post
FOLLOWERS = 1_000  # alice's followers, each with an inbox of its own
ACTIVITIES = 5_000  # FOLLOWERS Follows, then Creates
HELD_BACK = 3_000  # the activities from this one on are sent once alice has posted
IN_FLIGHT = 100
INBOX_PORTS = 4
ANSWER_DELAY = 0.1  # seconds each recorded inbox takes to answer
CONCURRENCY = 16  # deliveries in flight per worker process
INBOX_LEASE = 30.0  # seconds (fedishare.inbox.worker.LEASE_SECONDS: 120)
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

T = TypeVar("T")

# `fedishare work`, its inbox claims leased for INBOX_LEASE seconds.
WORK = (
    sys.executable,
    "-c",
    "import sys, fedishare.inbox.worker as w; from fedishare.cli import main;"
    f" w.LEASE_SECONDS = {INBOX_LEASE}; sys.exit(main())",
)


def _actor(peer: str, name: str) -> str:
    return f"{peer}/users/{name}"


def _activity_id(n: int, peer: str) -> str:
    if n < FOLLOWERS:
        return f"{_actor(peer, f'f{n}')}/follows/{n}"
    return f"{_actor(peer, f'u{n % ACTORS}')}/activities/{n}"


def _note_id(n: int, peer: str) -> str:
    return f"{_actor(peer, f'u{n % ACTORS}')}/statuses/{n}"


def _activity(n: int, peer: str, alice: str, group: str) -> dict[str, object]:
    """The n-th activity: a Follow of alice by follower n, or a Create by actor n % ACTORS."""
    base: dict[str, object] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": _activity_id(n, peer),
    }
    if n < FOLLOWERS:
        return {**base, "type": "Follow", "actor": _actor(peer, f"f{n}"), "object": alice}
    actor = _actor(peer, f"u{n % ACTORS}")
    note = {
        "id": _note_id(n, peer),
        "type": "Note",
        "attributedTo": actor,
        "published": "2026-11-22T10:00:00Z",
        "to": [PUBLIC],
        "cc": [group, alice, f"{actor}/followers"],
        "content": f"<p>Lending a ladder this weekend, number {n}; ask at the bakery.</p>",
    }
    return {**base, "type": "Create", "actor": actor, "to": [PUBLIC], "cc": [group], "object": note}


def _known(name: str) -> bool:
    kind, number = name[:1], name[1:]
    limit = {"u": ACTORS, "f": FOLLOWERS}.get(kind, 0)
    return number.isdigit() and int(number) < limit


def _token(created_stdout: str) -> str:
    return next(
        line.split()[1] for line in created_stdout.splitlines() if line.startswith("token:")
    )


def _configure(toml: Path, database: str) -> None:
    use_database(toml, database)
    text = toml.read_text()
    for old, new in [
        # All actors live on one host: the per-host inbox limit would refuse most of them.
        ("inbox_requests_per_minute = 600", "inbox_requests_per_minute = 1000000"),
        ("delivery_concurrency = 50", f"delivery_concurrency = {CONCURRENCY}"),
    ]:
        assert old in text
        text = text.replace(old, new)
    toml.write_text(text)


class _Watch:
    """Waiting for the database to show something (`until`) while the processes named in
    `running` run; a failure tells how the queues stand and what the processes logged."""

    def __init__(self, conn: asyncpg.Connection, site: Path) -> None:
        self.conn = conn
        self.site = site
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.tasks: list[asyncio.Task[None]] = []  # the senders: their failures end the wait

    async def until(
        self, probe: Callable[[], Awaitable[T]], *, within: float, every: float = 0.2
    ) -> T:
        async def checked() -> T:
            for name, proc in self.running.items():
                if proc.poll() is not None:
                    raise AssertionError(f"{name} exited with {proc.returncode}")
            for task in self.tasks:
                if task.done():
                    task.result()
            return await probe()

        try:
            return await eventually(checked, within=within, every=every)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{await self.report()}") from exc

    async def report(self) -> str:
        inbox = await self.conn.fetch(
            "SELECT state, attempts, count(*), min(error) FROM inbox_items GROUP BY 1, 2"
        )
        deliveries = await self.conn.fetch(
            "SELECT state, attempts, count(*), min(last_error) FROM deliveries GROUP BY 1, 2"
        )
        sessions = await self.conn.fetch(
            "SELECT state, wait_event_type, wait_event,"
            " round(extract(epoch FROM now() - xact_start)), left(query, 200)"
            " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        logged = [
            f"{log.name}: {line}"
            for log in sorted(self.site.glob("*.log"))
            for line in log.read_text(errors="replace").splitlines()
            if (" ERROR " in line or " WARNING " in line or "Error" in line)
            and "No admin yet" not in line
        ]
        return (
            f"inbox items (state, attempts, count, an error): {[tuple(r) for r in inbox]}\n"
            f"deliveries (state, attempts, count, an error): {[tuple(r) for r in deliveries]}\n"
            "database sessions (state, waiting for, seconds in a transaction, query):\n"
            + "\n".join(str(tuple(r)) for r in sessions)
            + "\nlogged:\n"
            + "\n".join(logged[:40])
        )


async def _waiting(conn: asyncpg.Connection) -> int:
    """Inbox items not processed yet."""
    return int(await conn.fetchval("SELECT count(*) FROM inbox_items WHERE state = 'received'"))


def _web(port: int) -> tuple[str, ...]:
    return ("--no-workers", "--listen", f"127.0.0.1:{port}")


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)  # no shutdown, no last writes, no claims handed back
    proc.wait(10)


async def test_two_web_and_two_worker_processes_on_one_postgresql_lose_nothing(
    tmp_path: Path,
) -> None:
    started = time.perf_counter()
    port_a, port_b = free_port(), free_port()
    base = f"http://127.0.0.1:{port_a}"  # [instance] domain: both web processes' name
    alice = f"{base}/users/alice"
    site = tmp_path / "site"
    site.mkdir()
    assert run_cli(site, "init", "--domain", f"127.0.0.1:{port_a}", "--http").returncode == 0
    database = fresh_database(tmp_path, "scale")
    _configure(site / "instance.toml", database)
    created = run_cli(site, "account", "create", "alice")
    assert created.returncode == 0, created.stderr
    token = _token(created.stdout)

    conn = await asyncpg.connect(database)
    try:
        alice_row, pem = await conn.fetchrow(
            "SELECT id, public_key_pem FROM local_actors WHERE username = 'alice'"
        )
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        peer_base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        pairs = [_pooled_key_pair() for _ in range(KEYS)]
        log = tmp_path / "received.log"

        with recording_inboxes(
            INBOX_PORTS, delay=ANSWER_DELAY, log=log, public_key_pem=pem
        ) as inboxes:
            ports = inboxes.ports

            def inbox_of(name: str) -> str | None:
                if not name.startswith("f"):
                    return None
                return f"http://127.0.0.1:{ports[int(name[1:]) % INBOX_PORTS]}/users/{name}/inbox"

            follower_paths = {f"/users/f{j}/inbox" for j in range(FOLLOWERS)}
            peer = Peer(peer_base, [p.public_pem for p in pairs], _known, inbox_of)
            activities = partial(
                _activity, peer=peer_base, alice=alice, group=f"{base}/users/community"
            )
            async with (
                serving_app(peer.app, sock),
                running(site, "serve", *_web(port_a), log="serve-a.log") as web_a,
                running(site, "serve", *_web(port_b), log="serve-b.log") as web_b,
                running(site, "work", log="work-a.log", command=WORK) as work_a,
                running(site, "work", log="work-b.log", command=WORK) as work_b,
                aiohttp.ClientSession(
                    # Idle connections are dropped before the server's 5 s keep-alive ends.
                    connector=aiohttp.TCPConnector(limit=IN_FLIGHT, keepalive_timeout=1.0),
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as client,
                httpx.AsyncClient(timeout=30.0) as api,
            ):
                watch = _Watch(conn, site)
                watch.running.update(
                    {"serve A": web_a, "serve B": web_b, "work A": work_a, "work B": work_b}
                )

                async def answering() -> bool:
                    try:
                        for port in (port_a, port_b):
                            r = await api.get(f"http://127.0.0.1:{port}/.well-known/nodeinfo")
                            if r.status_code != 200:
                                return False
                    except httpx.TransportError:
                        return False
                    return True

                await watch.until(answering, within=60)
                targets = [f"http://127.0.0.1:{port}/inbox" for port in (port_a, port_b)]
                statuses: Counter[int] = Counter()  # answers to the activities, as they come

                async def send(numbers: range) -> None:
                    to_send: asyncio.Queue[Signed | None] = asyncio.Queue(maxsize=2 * SHARE)
                    pems = [p.private_pem for p in pairs]
                    async with asyncio.TaskGroup() as tasks:
                        tasks.create_task(
                            signing(pems, f"{base}/inbox", activities, numbers, to_send, IN_FLIGHT)
                        )
                        tasks.create_task(
                            send_all(
                                client,
                                targets,
                                to_send,
                                IN_FLIGHT,
                                retry_on=(aiohttp.ClientConnectionError,),
                                attempts=4,
                                statuses=statuses,
                            )
                        )

                # The Follows and most Creates; once alice has her followers, she posts, and
                # the rest of the Creates follow. Once her post has reached its first inbox
                # (the Accepts have gone before it) and the last Creates are being answered,
                # one process of each kind is killed.
                first = asyncio.create_task(send(range(HELD_BACK)))
                rest: asyncio.Task[None] | None = None
                watch.tasks.append(first)
                try:

                    async def followed() -> bool:
                        count = await conn.fetchval(
                            "SELECT count(*) FROM follows WHERE followee = $1"
                            " AND state = 'accepted'",
                            alice,
                        )
                        return bool(count == FOLLOWERS)

                    await watch.until(followed, within=480)
                    followed_at = time.perf_counter() - started
                    posted = await api.post(
                        f"{base}/users/alice/outbox",
                        json={"type": "Note", "content": "<p>Free: a ladder, this weekend.</p>"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    assert posted.status_code == 201, posted.text
                    note = posted.json()["id"]
                    rest = asyncio.create_task(send(range(HELD_BACK, ACTIVITIES)))
                    watch.tasks.append(rest)

                    def reached() -> int:
                        return sum(1 for d in inboxes.received() if d.activity_id == note)

                    async def going_out() -> bool:  # and the last Creates coming in
                        return reached() > 0 and sum(statuses.values()) > HELD_BACK

                    await watch.until(going_out, within=240, every=0.02)
                    del watch.running["serve B"], watch.running["work B"]
                    _kill(web_b)
                    _kill(work_b)
                    killed_at = time.perf_counter() - started
                    answered = sum(statuses.values())
                    waiting, reached_at_kill = await _waiting(conn), reached()
                    assert waiting > 0 and reached_at_kill < FOLLOWERS, "the kill came too late"
                    await first
                    await rest
                finally:
                    for task in (first, rest):
                        if task is not None:
                            task.cancel()
                sent_at = time.perf_counter() - started
                assert statuses == {202: ACTIVITIES}

                async def drained() -> bool:
                    rows = await conn.fetch(
                        "SELECT state, count(*) FROM inbox_items GROUP BY state"
                    )
                    return dict(rows) == {"processed": ACTIVITIES}

                await watch.until(drained, within=600)
                processed_at = time.perf_counter() - started

                async def delivered() -> bool:
                    reached = {d.path for d in inboxes.received() if d.activity_id == note}
                    if reached != follower_paths:
                        return False
                    rows = await conn.fetch("SELECT state, count(*) FROM deliveries GROUP BY state")
                    return dict(rows) == {"delivered": 2 * FOLLOWERS}

                await watch.until(delivered, within=240)
                delivered_at = time.perf_counter() - started

            received = inboxes.received()
            wrong = await _check_database(conn, peer_base, alice, alice_row)
            retaken = await conn.fetchval("SELECT count(*) FROM inbox_items WHERE attempts > 1")
    finally:
        await conn.close()

    # Every follower got the post and its Accept, signed by alice; a second copy only for
    # those the killed worker had in flight, or sent without recording it yet.
    copies = Counter((d.activity_id, d.path) for d in received)
    if (verdicts := {d.verdict for d in received}) != {"ok"}:
        wrong.append(f"signatures: {verdicts}")
    for what, paths in [
        ("the post", {path for (a, path) in copies if a == note}),
        ("an Accept", {path for (a, path) in copies if a != note}),
    ]:
        if paths != follower_paths:
            wrong.append(f"inboxes {what} reached: {len(paths)}, not {FOLLOWERS}")
    if len(copies) != 2 * FOLLOWERS:
        wrong.append(f"(activity, inbox) pairs received: {len(copies)}, not {2 * FOLLOWERS}")
    assert not wrong, "\n".join(wrong)
    again = sum(copies.values()) - len(copies)
    print(
        f"\n{ACTIVITIES} activities, 2 web + 2 worker processes on PostgreSQL: followers"
        f" accepted at {followed_at:.1f} s; killed one of each at {killed_at:.1f} s"
        f" ({answered} activities answered, {waiting} waiting to be processed; the post at"
        f" {reached_at_kill} of {FOLLOWERS} inboxes); all 202 at {sent_at:.1f} s, processed"
        f" at {processed_at:.1f} s, delivered at {delivered_at:.1f} s; inbox items processed"
        f" more than once: {retaken}; deliveries made twice: {again}"
    )
    assert again <= 2 * CONCURRENCY


async def _check_database(
    conn: asyncpg.Connection, peer: str, alice: str, alice_row: int
) -> list[str]:
    """What differs from each activity stored once and processed once in effect, nothing
    stored twice: every count is taken, so that a failure lists all that differs."""
    activity_ids = [_activity_id(n, peer) for n in range(ACTIVITIES)]
    note_ids = [_note_id(n, peer) for n in range(FOLLOWERS, ACTIVITIES)]
    followers = [_actor(peer, f"f{n}") for n in range(FOLLOWERS)]
    mentions = ACTIVITIES - FOLLOWERS
    wrong: list[str] = []

    async def expect(what: str, value: object, sql: str, *args: object) -> None:
        rows = [tuple(row) for row in await conn.fetch(sql, *args)]
        found = rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows
        if found != value:
            wrong.append(f"{what}: {found!r}, not {value!r}")

    # The inbox: one row for each activity answered 202, processed.
    await expect("inbox items", ACTIVITIES, "SELECT count(*) FROM inbox_items")
    await expect(
        "inbox items of the activities sent, processed",
        ACTIVITIES,
        "SELECT count(DISTINCT activity_id) FROM inbox_items"
        " WHERE activity_id = ANY($1) AND state = 'processed'",
        activity_ids,
    )
    # The Follows: one accepted follow each, one Accept published, one notification.
    await expect("follows", FOLLOWERS, "SELECT count(*) FROM follows")
    await expect(
        "follows of alice accepted",
        FOLLOWERS,
        "SELECT count(*) FROM follows WHERE followee = $1 AND state = 'accepted'"
        " AND follower = ANY($2)",
        alice,
        followers,
    )
    await expect(
        "alice's outbox (type, count)",
        [("Accept", FOLLOWERS), ("Create", 1)],
        "SELECT type, count(*) FROM outbox_activities WHERE actor_id = $1 GROUP BY type"
        " ORDER BY type",
        alice_row,
    )
    await expect(
        "alice's notifications (type, count, from actors, statuses)",
        [("follow", FOLLOWERS, FOLLOWERS, 0), ("mention", mentions, ACTORS, mentions)],
        "SELECT type, count(*), count(DISTINCT from_actor), count(DISTINCT status_id)"
        " FROM notifications WHERE recipient_id = $1 GROUP BY type ORDER BY type",
        alice_row,
    )
    await expect(
        "followers whose follow alice was not notified of",
        [],
        "SELECT follower FROM follows WHERE follower NOT IN"
        " (SELECT from_actor FROM notifications WHERE type = 'follow') ORDER BY follower",
    )
    # The Creates: each Note kept once, and indexed once as a status.
    await expect(
        "Notes kept", mentions, "SELECT count(*) FROM objects WHERE id = ANY($1)", note_ids
    )
    await expect(
        "others' objects", mentions, "SELECT count(*) FROM objects WHERE local_actor_id IS NULL"
    )
    await expect(
        "Notes' statuses", mentions, "SELECT count(*) FROM statuses WHERE uri = ANY($1)", note_ids
    )
    await expect(
        "others' statuses", mentions, "SELECT count(*) FROM statuses WHERE local_actor_id IS NULL"
    )
    # The deliveries: an Accept to each follower, and the post to each; one row each.
    await expect("deliveries", 2 * FOLLOWERS, "SELECT count(*) FROM deliveries")
    await expect(
        "deliveries (activity, inbox)",
        2 * FOLLOWERS,
        "SELECT count(*) FROM (SELECT DISTINCT activity_rowid, inbox FROM deliveries) d",
    )
    await expect("inboxes delivered to", FOLLOWERS, "SELECT count(DISTINCT inbox) FROM deliveries")
    return wrong
