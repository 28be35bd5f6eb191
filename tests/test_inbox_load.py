"""The inbox under load: 50 peers' actors send 5,000 signed activities, 100 in flight, to one
real `fedishare serve`. Every one is answered 202 (none 5xx), every one is then processed,
none lost, and the server's peak resident memory stays bounded.

The 50 actors are served by one small peer on loopback (their documents and keys, which the
server fetches as it would another server's; an inbox for its Accepts). The activities are a
mix of what peers send most: Creates of Notes to the community, Likes and their Undos,
Follows of the community and Deletes. They are signed before the clock starts, in two
processes (RSA signing costs about a millisecond each), and sent by aiohttp, whose client
costs a fraction of httpx's per request, as bench/inbox.py signs and sends them.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.federation.keys import load_private_key
from fedishare.federation.signing import sign_headers
from tests.asgi_server import serving_app
from tests.conftest import _pooled_key_pair
from tests.processes import free_port, serving
from tests.waiting import eventually

ACTORS = 50
ACTIVITIES = 5_000
IN_FLIGHT = 100
SHARE = 250  # activities signed at a time
KEYS = 10  # distinct RSA keys among the actors (each key made costs 150 ms)
PEAK_RSS_BOUND_MB = 400
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

Signed = tuple[bytes, dict[str, str]]


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


def _sign_share(job: tuple[list[str], str, str, str, range]) -> list[Signed]:
    """Sign one share of the activities (run in a worker process)."""
    pems, inbox, peer, group, numbers = job
    keys = [load_private_key(pem) for pem in pems]
    now = datetime.now(UTC)
    out = []
    for n in numbers:
        i = n % ACTORS
        body = json.dumps(_activity(n, peer, group)).encode()
        key_id = f"{_actor(peer, i)}#main-key"
        headers = sign_headers(
            "POST", inbox, body, key_id=key_id, private_key=keys[i % KEYS], now=now
        )
        out.append((body, headers))
    return out


async def _signing(
    pems: list[str], inbox: str, peer: str, group: str, out: asyncio.Queue[Signed | None]
) -> None:
    """Sign the activities in shares of SHARE, in order, in two worker processes, and queue
    each share as it is done (so sending starts with the first); then one None per sender."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(2) as pool:
        shares = [
            loop.run_in_executor(
                pool, _sign_share, (pems, inbox, peer, group, range(n, min(n + SHARE, ACTIVITIES)))
            )
            for n in range(0, ACTIVITIES, SHARE)
        ]
        for share in shares:
            for signed in await share:
                await out.put(signed)
    for _ in range(IN_FLIGHT):
        await out.put(None)


class Peer:
    """The 50 actors' server: their documents with public keys, and inboxes answering 202."""

    def __init__(self, base: str, public_pems: list[str]) -> None:
        self.base = base
        self.public_pems = public_pems
        self.received = 0
        self.app = Starlette(
            routes=[
                Route("/users/{name}", self.actor),
                Route("/users/{name}/inbox", self.inbox, methods=["POST"]),
                Route("/inbox", self.inbox, methods=["POST"]),
            ]
        )

    async def actor(self, request: Request) -> Response:
        name = request.path_params["name"]
        if not name.startswith("u") or not name[1:].isdigit() or int(name[1:]) >= ACTORS:
            return Response(status_code=404)
        aid = f"{self.base}/users/{name}"
        return JSONResponse(
            {
                "@context": [
                    "https://www.w3.org/ns/activitystreams",
                    "https://w3id.org/security/v1",
                ],
                "id": aid,
                "type": "Person",
                "preferredUsername": name,
                "inbox": f"{aid}/inbox",
                "followers": f"{aid}/followers",
                "endpoints": {"sharedInbox": f"{self.base}/inbox"},
                "publicKey": {
                    "id": f"{aid}#main-key",
                    "owner": aid,
                    "publicKeyPem": self.public_pems[int(name[1:]) % KEYS],
                },
            },
            media_type="application/activity+json",
        )

    async def inbox(self, request: Request) -> Response:
        await request.body()
        self.received += 1
        return Response(status_code=202)


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
    peer = Peer(peer_base, [p.public_pem for p in pairs])
    to_send: asyncio.Queue[Signed | None] = asyncio.Queue(maxsize=2 * SHARE)
    statuses: dict[int, int] = {}
    async with (
        serving_app(peer.app, sock),
        serving(site, port, timeout=60) as server,
        aiohttp.ClientSession(
            # Idle connections are dropped before the server's 5 s keep-alive ends.
            connector=aiohttp.TCPConnector(limit=IN_FLIGHT, keepalive_timeout=1.0),
            timeout=aiohttp.ClientTimeout(total=60),
        ) as client,
    ):

        async def post(body: bytes, headers: dict[str, str]) -> int:
            # A kept-alive connection the server closed as this request reused it is tried
            # again, as peers redeliver (the activity's id makes the second copy harmless).
            for attempt in range(3):
                try:
                    async with client.post(f"{base}/inbox", data=body, headers=headers) as response:
                        await response.read()
                        return response.status
                except aiohttp.ServerDisconnectedError:
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

        async def sender() -> None:
            while (signed := await to_send.get()) is not None:
                status = await post(*signed)
                statuses[status] = statuses.get(status, 0) + 1

        signing = _signing(
            [p.private_pem for p in pairs],
            f"{base}/inbox",
            peer_base,
            f"{base}/users/community",
            to_send,
        )
        started = time.perf_counter()
        async with asyncio.TaskGroup() as tasks:  # a failure in one stops the others
            tasks.create_task(signing)
            for _ in range(IN_FLIGHT):
                tasks.create_task(sender())
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
