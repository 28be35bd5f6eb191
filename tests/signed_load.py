"""Thousands of signed activities from simulated peers' actors, for the tests that load real
`fedishare serve` processes' inboxes (tests/test_inbox_load.py, tests/test_scale_out.py).

`Peer` is the actors' server: their documents with public keys (the server under test
fetches them as it would another server's), and inboxes answering 202. The activities are
signed before they are sent, in two processes (RSA signing costs about a millisecond each),
and queued share by share as they are done (`signing`), so that sending starts with the first
share; `send_all` posts them with aiohttp, whose client costs a fraction of httpx's per
request, as bench/inbox.py signs and sends them.

Actors' keys are KEYS key pairs (each made costs 150 ms), an actor's chosen by `key_number`
of its id, by the peer and the signer alike.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.federation.keys import load_private_key
from fedishare.federation.signing import sign_headers

KEYS = 10  # distinct RSA keys among the actors
SHARE = 250  # activities signed at a time

Signed = tuple[bytes, dict[str, str]]
# The n-th activity of a load; picklable (a module's function, or a functools.partial of
# one), as it is called in the signing processes. Its actor signs it with `key_number`'s key.
Activities = Callable[[int], dict[str, object]]


def key_number(actor: str) -> int:
    """Which of the KEYS keys is `actor`'s."""
    return zlib.crc32(actor.encode()) % KEYS


def _sign_share(job: tuple[list[str], str, Activities, range]) -> list[Signed]:
    """Sign one share of the activities (run in a worker process)."""
    pems, inbox, activities, numbers = job
    keys = [load_private_key(pem) for pem in pems]
    now = datetime.now(UTC)
    out = []
    for n in numbers:
        activity = activities(n)
        actor = str(activity["actor"])
        body = json.dumps(activity).encode()
        headers = sign_headers(
            "POST",
            inbox,
            body,
            key_id=f"{actor}#main-key",
            private_key=keys[key_number(actor)],
            now=now,
        )
        out.append((body, headers))
    return out


async def signing(
    pems: list[str],
    inbox: str,
    activities: Activities,
    numbers: range,
    out: asyncio.Queue[Signed | None],
    senders: int,
) -> None:
    """Sign activities `numbers` for `inbox` (the URL their signatures name) in shares of
    SHARE, in order, in two worker processes, and queue each share as it is done; then one
    None per sender."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(2) as pool:
        shares = [
            loop.run_in_executor(
                pool,
                _sign_share,
                (pems, inbox, activities, numbers[start : start + SHARE]),
            )
            for start in range(0, len(numbers), SHARE)
        ]
        for share in shares:
            for signed in await share:
                await out.put(signed)
    for _ in range(senders):
        await out.put(None)


async def send_all(
    client: aiohttp.ClientSession,
    targets: Sequence[str],
    to_send: asyncio.Queue[Signed | None],
    senders: int,
    *,
    retry_on: tuple[type[Exception], ...] = (aiohttp.ServerDisconnectedError,),
    attempts: int = 3,
    statuses: Counter[int] | None = None,
) -> Counter[int]:
    """POST what `to_send` holds with `senders` requests in flight, until each sender has
    taken its None; the statuses answered, counted (in `statuses` as they come, if given).
    The activities go to `targets` in turn
    (as a proxy spreads them over the servers behind it), and one whose request fails with
    `retry_on` goes again, to the next target, up to `attempts` times in all: a peer
    delivers again what was not answered (the activity's id makes a second copy harmless)."""
    answered: Counter[int] = Counter() if statuses is None else statuses
    turn = 0

    async def post(first: int, body: bytes, headers: dict[str, str]) -> int:
        for attempt in range(attempts):
            target = targets[(first + attempt) % len(targets)]
            try:
                async with client.post(target, data=body, headers=headers) as response:
                    await response.read()
                    return response.status
            except retry_on:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    async def sender() -> None:
        nonlocal turn
        while (signed := await to_send.get()) is not None:
            turn += 1
            answered[await post(turn, *signed)] += 1

    async with asyncio.TaskGroup() as tasks:  # a failure in one stops the others
        for _ in range(senders):
            tasks.create_task(sender())
    return answered


class Peer:
    """The actors' server: the documents of the actors `known` names (``/users/NAME``), with
    public keys, and inboxes answering 202 (``/users/NAME/inbox``, and ``/inbox`` shared).
    `inbox_of` may put an actor's inbox elsewhere (a URL: then it has no shared inbox)."""

    def __init__(
        self,
        base: str,
        public_pems: list[str],
        known: Callable[[str], bool],
        inbox_of: Callable[[str], str | None] = lambda name: None,
    ) -> None:
        self.base = base
        self.public_pems = public_pems
        self.known = known
        self.inbox_of = inbox_of
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
        if not self.known(name):
            return Response(status_code=404)
        aid = f"{self.base}/users/{name}"
        elsewhere = self.inbox_of(name)
        inboxes: dict[str, object] = (
            {"inbox": f"{aid}/inbox", "endpoints": {"sharedInbox": f"{self.base}/inbox"}}
            if elsewhere is None
            else {"inbox": elsewhere}
        )
        return JSONResponse(
            {
                "@context": [
                    "https://www.w3.org/ns/activitystreams",
                    "https://w3id.org/security/v1",
                ],
                "id": aid,
                "type": "Person",
                "preferredUsername": name,
                **inboxes,
                "followers": f"{aid}/followers",
                "publicKey": {
                    "id": f"{aid}#main-key",
                    "owner": aid,
                    "publicKeyPem": self.public_pems[key_number(aid)],
                },
            },
            media_type="application/activity+json",
        )

    async def inbox(self, request: Request) -> Response:
        await request.body()
        self.received += 1
        return Response(status_code=202)
