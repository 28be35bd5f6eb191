"""The inbox's rate limits: per client address for every POST (loopback excepted), and per
remote host for deliveries whose signature verified, so that requests naming another
server's key neither use up that server's share nor escape the limit by naming new hosts."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from fedishare.core.types import JSON
from tests.federation import rfc9421
from tests.harness import Network, Node
from tests.mastodon_peer import MastodonPeer, rsa_key

OAK = "http://oak.test"
PEER = "http://mastodon.test"
JOHN = f"{PEER}/users/john"
# 3 a minute per host (one every 20 s), 6 a minute per address (one every 10 s).
LIMITS = {"inbox_requests_per_minute": 3, "inbox_requests_per_address_per_minute": 6}


@pytest.fixture
async def oak(net: Network) -> Node:
    return await net.add("oak.test", limits=LIMITS)


@pytest.fixture
def peer(net: Network) -> MastodonPeer:
    peer = MastodonPeer.on(net, "mastodon.test")
    peer.add("john", rsa_key(0))
    return peer


@asynccontextmanager
async def client_from(net: Network, node: Node, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connection comes from `address` (as a socket's peer would)."""
    transport = httpx.ASGITransport(app=net.router.apps[node.domain].app, client=(address, 40_000))
    async with httpx.AsyncClient(transport=transport, timeout=10.0) as client:
        yield client


def note(n: int) -> JSON:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{JOHN}/statuses/{n}/activity",
        "type": "Create",
        "actor": JOHN,
        "object": {"id": f"{JOHN}/statuses/{n}", "type": "Note", "content": "<p>Ladder</p>"},
    }


def forged(key_id: str) -> dict[str, str]:
    """Headers claiming `key_id`, with a signature nobody made."""
    signature = (
        f'keyId="{key_id}",algorithm="rsa-sha256",'
        'headers="(request-target) host date digest",signature="Zm9yZ2Vk"'
    )
    return {"Signature": signature, "Content-Type": "application/activity+json"}


def assert_refused(response: httpx.Response, retry_after: str, reason: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == retry_after
    assert reason in response.json()["error"]


async def test_forged_requests_naming_a_server_do_not_use_up_its_share(
    net: Network, oak: Node, peer: MastodonPeer
) -> None:
    async with client_from(net, oak, "203.0.113.9") as stranger:
        for n in range(5):
            body = json.dumps(note(100 + n)).encode()
            junk = await stranger.post(
                f"{OAK}/inbox", content=body, headers=forged(f"{JOHN}#main-key")
            )
            assert junk.status_code == 401, junk.text
    # mastodon.test's own deliveries still get their whole share, then are slowed down.
    async with client_from(net, oak, "198.51.100.20") as mastodon:
        for n in range(3):
            body, headers = peer.signed_post(
                "john", f"{OAK}/inbox", note(n), now=oak.instance.clock()
            )
            delivered = await mastodon.post(f"{OAK}/inbox", content=body, headers=headers)
            assert delivered.status_code == 202, delivered.text
        body, headers = peer.signed_post("john", f"{OAK}/inbox", note(3), now=oak.instance.clock())
        over = await mastodon.post(f"{OAK}/inbox", content=body, headers=headers)
        assert_refused(over, "20", "your server")
    stored = await oak.instance.db.fetch_all("SELECT activity_id FROM inbox_items")
    assert len(stored) == 3


async def test_one_address_is_slowed_down_whatever_hosts_it_names(net: Network, oak: Node) -> None:
    async with client_from(net, oak, "203.0.113.9") as flooder:
        for n in range(6):
            headers = forged(f"http://made-up-{n}.test/users/x#main-key")
            answer = await flooder.post(f"{OAK}/inbox", content=b"{}", headers=headers)
            assert answer.status_code == 400, answer.text
        headers = forged("http://made-up-6.test/users/x#main-key")
        over = await flooder.post(f"{OAK}/inbox", content=b"{}", headers=headers)
        assert_refused(over, "10", "your address")
    async with client_from(net, oak, "203.0.113.10") as neighbour:
        answer = await neighbour.post(f"{OAK}/inbox", content=b"{}", headers=headers)
        assert answer.status_code == 400
    # Loopback (the operator's tools, a local proxy's own requests) is not limited per address.
    async with client_from(net, oak, "127.0.0.1") as local:
        for _ in range(8):
            answer = await local.post(f"{OAK}/inbox", content=b"{}", headers=headers)
            assert answer.status_code == 400


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_share(
    net: Network, oak: Node
) -> None:
    headers = forged("http://made-up.test/users/x#main-key")
    first = {**headers, "X-Forwarded-For": "198.51.100.7, 127.0.0.1"}
    async with client_from(net, oak, "127.0.0.1") as proxy:
        for _ in range(6):
            answer = await proxy.post(f"{OAK}/inbox", content=b"{}", headers=first)
            assert answer.status_code == 400, answer.text
        over = await proxy.post(f"{OAK}/inbox", content=b"{}", headers=first)
        assert_refused(over, "10", "your address")
        other = {**headers, "X-Forwarded-For": "198.51.100.8"}
        assert (await proxy.post(f"{OAK}/inbox", content=b"{}", headers=other)).status_code == 400
        for _ in range(8):  # the proxy's own requests: loopback's, not limited
            answer = await proxy.post(f"{OAK}/inbox", content=b"{}", headers=headers)
            assert answer.status_code == 400


async def test_rfc_9421_deliveries_count_against_their_keys_host(
    net: Network, oak: Node, peer: MastodonPeer
) -> None:
    statuses = []
    for n in range(4):
        body = json.dumps(note(n)).encode()
        headers = rfc9421.signed_post(
            rsa_key(0), peer.key_id("john"), f"{OAK}/inbox", body, created=int(time.time())
        )
        # From a new address each time, as a server with many workers sends.
        async with client_from(net, oak, f"198.51.100.{30 + n}") as mastodon:
            answer = await mastodon.post(f"{OAK}/inbox", content=body, headers=headers)
        statuses.append(answer.status_code)
    assert statuses == [202, 202, 202, 429]


async def test_a_parameter_named_like_keyid_charges_no_one_but_the_signer(
    net: Network, oak: Node, peer: MastodonPeer
) -> None:
    other = MastodonPeer.on(net, "other.test")
    other.add("eve", rsa_key(1))
    eve = other.actor_id("eve")
    for n in range(3):
        activity = {**note(n), "id": f"{eve}/statuses/{n}/activity", "actor": eve}
        activity["object"] = {"id": f"{eve}/statuses/{n}", "type": "Note", "content": "Hi"}
        body, headers = other.signed_post("eve", f"{OAK}/inbox", activity, now=oak.instance.clock())
        # Not a parameter of the draft: verification skips it, and so must the limit.
        headers["Signature"] = f'xkeyId="{JOHN}#main-key",{headers["Signature"]}'
        answer = await net.router.apps[oak.domain].handle_async_request(
            httpx.Request("POST", f"{OAK}/inbox", content=body, headers=headers)
        )
        assert answer.status_code == 202
    body, headers = peer.signed_post("john", f"{OAK}/inbox", note(9), now=oak.instance.clock())
    async with client_from(net, oak, "198.51.100.20") as mastodon:
        delivered = await mastodon.post(f"{OAK}/inbox", content=body, headers=headers)
    assert delivered.status_code == 202, delivered.text
