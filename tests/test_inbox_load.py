"""The inbox under load: 50 peers' actors send 5,000 signed activities, 100 in flight, to one
real `fedishare serve`. Every one is answered 202 (none 5xx), every one is then processed,
none lost, and the server's peak resident memory stays bounded.

The 50 actors are served by one small peer on loopback (their documents and keys, which the
server fetches as it would another server's; an inbox for its Accepts). The activities are a
mix of what peers send most: Creates of Notes to the community, Likes and their Undos,
Follows of the community and Deletes. They are signed and sent as tests/signed_load.py
does: signed in two processes as the clock runs, sent by aiohttp.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from functools import partial
from pathlib import Path

import aiohttp

from tests.asgi_server import serving_app
from tests.conftest import _pooled_key_pair
from tests.processes import free_port, serving
from tests.signed_load import KEYS, SHARE, Peer, Signed, send_all, signing
from tests.waiting import eventually

ACTORS = 50
ACTIVITIES = 5_000
IN_FLIGHT = 100
PEAK_RSS_BOUND_MB = 400
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _actor(peer: str, i: int) -> str:
    return f"{peer}/users/u{i}"


def _activity(n: int, peer: str, group: str) -> dict[str, object]:
    """The n-th activity: its actor is n's among the 50, its kind n's place in the mix."""
    actor = _actor(peer, n % ACTORS)
    base: dict[str, object] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/activities/{n}",
        "actor": actor,
    }
    kind = n % 20
    if n < ACTORS:  # each actor first follows the community
        return {**base, "type": "Follow", "object": group}
    if kind < 12:
        note = {
            "id": f"{actor}/statuses/{n}",
            "type": "Note",
            "attributedTo": actor,
            "published": "2026-11-22T10:00:00Z",
            "to": [PUBLIC],
            "cc": [group, f"{actor}/followers"],
            "content": f"<p>Lending a ladder this weekend, number {n}; ask at the bakery.</p>",
        }
        return {**base, "type": "Create", "to": [PUBLIC], "cc": [group], "object": note}
    earlier = f"{_actor(peer, (n - 1) % ACTORS)}/statuses/{n - 1}"
    if kind < 16:
        return {**base, "type": "Like", "object": earlier}
    if kind < 18:
        like = {"id": f"{actor}/likes/{n}", "type": "Like", "actor": actor, "object": earlier}
        return {**base, "type": "Undo", "object": like}
    own = f"{actor}/statuses/{n - ACTORS}"  # the same actor's (it may be a Like's id)
    return {**base, "type": "Delete", "to": [PUBLIC], "object": own}


def _known(name: str) -> bool:
    return name.startswith("u") and name[1:].isdigit() and int(name[1:]) < ACTORS


def _states(database: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as conn:
        return dict(conn.execute("SELECT state, count(*) FROM inbox_items GROUP BY state"))


def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc/PID/status")


async def test_5000_signed_activities_from_50_peers_are_all_processed(tmp_path: Path) -> None:
    port = free_port()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    peer_base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    base = f"http://127.0.0.1:{port}"
    site = tmp_path / "site"
    site.mkdir()
    (site / "instance.toml").write_text(
        f"""
[instance]
domain = "127.0.0.1:{port}"
scheme = "http"
allow_insecure = true
listen = "127.0.0.1:{port}"

[registration]
policy = "open"

[federation]
# The peer listens on loopback, which fetches and deliveries otherwise never reach.
private_hosts = ["{peer_base.removeprefix("http://")}"]

[limits]
# All 50 actors live on one host: the per-host inbox limit would refuse most of the load.
inbox_requests_per_minute = 1000000
"""
    )
    pairs = [_pooled_key_pair() for _ in range(KEYS)]
    peer = Peer(peer_base, [p.public_pem for p in pairs], _known)
    to_send: asyncio.Queue[Signed | None] = asyncio.Queue(maxsize=2 * SHARE)
    async with (
        serving_app(peer.app, sock),
        serving(site, port, timeout=60) as server,
        aiohttp.ClientSession(
            # Idle connections are dropped before the server's 5 s keep-alive ends.
            connector=aiohttp.TCPConnector(limit=IN_FLIGHT, keepalive_timeout=1.0),
            timeout=aiohttp.ClientTimeout(total=60),
        ) as client,
    ):
        signing_all = signing(
            [p.private_pem for p in pairs],
            f"{base}/inbox",
            partial(_activity, peer=peer_base, group=f"{base}/users/community"),
            range(ACTIVITIES),
            to_send,
            IN_FLIGHT,
        )
        started = time.perf_counter()
        async with asyncio.TaskGroup() as tasks:  # a failure in one stops the others
            tasks.create_task(signing_all)
            sending = tasks.create_task(send_all(client, [f"{base}/inbox"], to_send, IN_FLIGHT))
        statuses = sending.result()
        sent = time.perf_counter() - started
        assert statuses == {202: ACTIVITIES}

        database = site / "fedishare.sqlite3"

        async def drained() -> bool:
            return _states(database).get("processed", 0) == ACTIVITIES

        # Bounded, and generous: two cores are shared with the rest of the suite.
        await eventually(drained, within=120, every=0.2)
        processed = time.perf_counter() - started
        peak = _peak_rss_mb(server.pid)

    assert _states(database) == {"processed": ACTIVITIES}  # nothing failed, nothing lost
    print(
        f"\n{ACTIVITIES} activities from {ACTORS} actors, {IN_FLIGHT} in flight: all 202 in"
        f" {sent:.1f} s, all processed in {processed:.1f} s; server peak RSS {peak:.0f} MB"
    )
    assert peak < PEAK_RSS_BOUND_MB
