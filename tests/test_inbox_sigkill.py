"""Inbox processing killed with SIGKILL at random moments: after the restarts, every activity
answered 202 has had its effect exactly once.

A real `fedishare serve`, with its workers. Twelve remote actors (tests.signing_peer) each
send a script of signed activities, in order, three times over: Follow alice, a Note
mentioning her, a Like and an Announce of her status, an Undo of each (the last time, only
some actors undo, so the end state shows that each actor's activities took effect in order).
Each round starts the server, sends the next few activities of every actor (the actors side
by side, each one's in order), and kills the server at a random moment (seeded: the seed is
printed) while it receives, stores and processes them: mostly as soon as the worker is seen
in the middle of a batch, else a random while after a random number of 202s. An activity whose
answer was lost with the server is sent again in the next round, as a peer would (a replay
is answered 202 and changes nothing). After the last round the server runs until the inbox
is empty; then the rows are counted: followers, Accepts sent, notes, reactions and their
counts, notifications.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import subprocess
import time
from collections import deque
from contextlib import closing
from pathlib import Path

import httpx

from fedishare.core.types import JSON
from tests.processes import cli, local_site, serving
from tests.signing_peer import SigningPeer
from tests.waiting import eventually

ROUNDS = 20
ACTORS = 12
CYCLES = 3  # of each actor's script: about 20 activities each
KILL_AFTER = 0.05  # at most this long after the round's chosen number of 202s


def script(peer: SigningPeer, name: str, i: int, alice: str, status: str) -> list[JSON]:
    """CYCLES times over: Follow alice, a Note mentioning her, a Like and an Announce of her
    status, then an Undo of each; in the last cycle, some actors (by `i`) keep some."""
    activities: list[JSON] = []
    for c in range(CYCLES):
        last = c == CYCLES - 1
        follow = peer.activity(name, f"f{c}", "Follow", alice)
        like = peer.activity(name, f"l{c}", "Like", status)
        announce = peer.activity(name, f"a{c}", "Announce", status)
        announce["to"] = [f"{peer.actor(name)}/followers"]
        activities += [follow, peer.note(name, str(c), alice), like, announce]
        if not last or undoes_like(i):
            activities.append(peer.activity(name, f"l{c}", "Undo", like))
        if not last or undoes_announce(i):
            activities.append(peer.activity(name, f"a{c}", "Undo", announce))
        if not last or undoes_follow(i):
            activities.append(peer.activity(name, f"f{c}", "Undo", follow))
    return activities


def undoes_like(i: int) -> bool:
    return i % 3 == 0


def undoes_announce(i: int) -> bool:
    return i % 2 == 0


def undoes_follow(i: int) -> bool:
    return i % 4 == 1


class Senders:
    """Every actor's activities not yet answered 202, sent in order."""

    def __init__(self, peer: SigningPeer, inbox: str, scripts: dict[str, list[JSON]]) -> None:
        self.peer = peer
        self.inbox = inbox
        self.waiting = {name: deque(acts) for name, acts in scripts.items()}
        self.accepted: list[str] = []

    async def send(self, client: httpx.AsyncClient, counts: dict[str, int]) -> None:
        """The next `counts[name]` activities of each actor; stops at the first whose answer
        is lost (the server killed)."""

        async def actor(name: str, count: int) -> None:
            queue = self.waiting[name]
            for _ in range(min(count, len(queue))):
                try:
                    r = await self.peer.send(client, self.inbox, queue[0])
                except httpx.TransportError:
                    return  # sent again next round
                assert r.status_code == 202, r.text
                self.accepted.append(str(queue.popleft()["id"]))

        await asyncio.gather(*(actor(name, n) for name, n in counts.items()))

    def left(self) -> int:
        return sum(len(q) for q in self.waiting.values())


def rows(database: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(database, timeout=10)) as conn:
        return conn.execute(sql, params).fetchall()


def count_unfinished(database: Path) -> int:
    return int(str(value(database, "SELECT count(*) FROM inbox_items WHERE state = 'received'")))


def count_claimed(database: Path) -> int:
    with closing(sqlite3.connect(database, timeout=10)) as conn:
        return claimed(conn)


def claimed(conn: sqlite3.Connection) -> int:
    """Items a worker has claimed and not finished (leased)."""
    sql = "SELECT count(*) FROM inbox_items WHERE state = 'received' AND next_try > ?"
    return int(conn.execute(sql, (time.time(),)).fetchone()[0])


def value(database: Path, sql: str, params: tuple[object, ...] = ()) -> object:
    return rows(database, sql, params)[0][0]


async def kill_midway(
    senders: Senders,
    client: httpx.AsyncClient,
    server: subprocess.Popen[bytes],
    rng: random.Random,
    counts: dict[str, int],
    database: Path,
) -> None:
    """Send, and SIGKILL the server a random while after a random number of 202s, or
    (mostly) at once when the worker is seen in the middle of a batch."""
    target = len(senders.accepted) + rng.randint(0, min(sum(counts.values()), senders.left()))
    mid_batch = rng.random() < 0.7
    sending = asyncio.create_task(senders.send(client, counts))
    with closing(sqlite3.connect(database, timeout=10)) as conn:

        async def reached() -> bool:
            if mid_batch:
                return claimed(conn) > 0 or sending.done()
            return len(senders.accepted) >= target or sending.done()

        await eventually(reached, within=30, every=0.001)
    if not mid_batch:
        await asyncio.sleep(rng.uniform(0, KILL_AFTER))  # the random moment
    server.kill()
    await asyncio.to_thread(server.wait, 10)
    await sending


async def test_inbox_processing_killed_at_random_moments_has_every_effect_once(
    tmp_path: Path,
) -> None:
    seed = random.randrange(2**32)
    print(f"seed {seed}")  # to run the same kills again: random.Random(seed) below
    rng = random.Random(seed)
    site, port = await local_site(tmp_path, "oak")
    code, out, err = await cli(site, "account", "create", "alice")
    assert code == 0, err
    token = next(line.split()[1] for line in out.splitlines() if line.startswith("token:"))
    database = site / "fedishare.sqlite3"
    base = f"http://127.0.0.1:{port}"
    alice = f"{base}/users/alice"
    names = [f"p{i}" for i in range(ACTORS)]
    peer = SigningPeer(names)
    await peer.introduce(database)
    unfinished = []  # items stored but not processed, and claimed, at each kill

    async with httpx.AsyncClient(timeout=10) as client:
        async with serving(site, port) as server:
            r = await client.post(
                f"{base}/api/v1/statuses",
                json={"status": "A ladder to lend"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code == 200, r.text
            status = r.json()["uri"]
            scripts = {n: script(peer, n, i, alice, status) for i, n in enumerate(names)}
            senders = Senders(peer, f"{base}/inbox", scripts)
            counts = {n: rng.randint(1, 3) for n in names}
            await kill_midway(senders, client, server, rng, counts, database)
        unfinished.append((count_unfinished(database), count_claimed(database)))
        for _ in range(ROUNDS - 1):
            async with serving(site, port) as server:
                counts = {n: rng.randint(1, 3) for n in names}
                await kill_midway(senders, client, server, rng, counts, database)
            unfinished.append((count_unfinished(database), count_claimed(database)))
        print("items (stored and unprocessed, of which claimed) at each kill:", unfinished)

        async def inbox_empty() -> bool:
            return count_unfinished(database) == 0

        async with serving(site, port):
            await senders.send(client, {n: len(q) for n, q in senders.waiting.items()})
            assert senders.left() == 0
            await eventually(inbox_empty, within=30, every=0.1)

    states = rows(database, "SELECT state, count(*) FROM inbox_items GROUP BY state")
    assert states == [("processed", len(set(senders.accepted)))]
    check_effects(database, peer, names, alice, status)


def check_effects(
    database: Path, peer: SigningPeer, names: list[str], alice: str, status: str
) -> None:
    actors = [peer.actor(n) for n in names]
    kept_like = [a for i, a in enumerate(actors) if not undoes_like(i)]
    kept_announce = [a for i, a in enumerate(actors) if not undoes_announce(i)]
    kept_follow = [a for i, a in enumerate(actors) if not undoes_follow(i)]

    followers = rows(database, "SELECT follower, state FROM follows WHERE followee = ?", (alice,))
    assert sorted(followers) == sorted((a, "accepted") for a in kept_follow)
    # One Accept per Follow (each cycle's has an id of its own), however often it ran.
    accepts = value(database, "SELECT count(*) FROM outbox_activities WHERE type = 'Accept'")
    assert accepts == CYCLES * ACTORS
    deliveries = value(
        database,
        "SELECT count(*) FROM deliveries JOIN outbox_activities o ON o.id = activity_rowid"
        " WHERE o.type = 'Accept'",
    )
    assert deliveries == CYCLES * ACTORS

    notes = rows(
        database,
        "SELECT attributed_to, count(*) FROM objects WHERE attributed_to LIKE ? GROUP BY 1",
        (f"{peer.mastodon.base}/%",),
    )
    assert sorted(notes) == sorted((a, CYCLES) for a in actors)
    indexed = value(
        database, "SELECT count(*) FROM statuses WHERE uri LIKE ?", (f"{peer.mastodon.base}/%",)
    )
    assert indexed == CYCLES * ACTORS

    reactions = rows(database, "SELECT type, actor FROM reactions WHERE object_id = ?", (status,))
    expected = [("Like", a) for a in kept_like] + [("Announce", a) for a in kept_announce]
    assert sorted(reactions) == sorted(expected)
    counts = rows(database, "SELECT likes, announces FROM objects WHERE id = ?", (status,))
    assert counts == [(len(kept_like), len(kept_announce))]

    # Once per kind and sender (and status): a Like again after an Undo notifies no more.
    notified = rows(
        database,
        "SELECT type, from_actor, count(*) FROM notifications GROUP BY 1, 2 ORDER BY 1, 2",
    )
    expected_notified = [(kind, a, 1) for kind in ("favourite", "follow", "reblog") for a in actors]
    expected_notified += [("mention", a, CYCLES) for a in actors]
    assert sorted(notified) == sorted(expected_notified)
