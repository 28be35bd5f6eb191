"""Rate limits per client address and per API token: past a limit the answer is 429 with
Retry-After (and Mastodon's X-RateLimit headers under /api/), another address is unaffected,
and the refused request changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from fedishare.accounts.members import create_member
from fedishare.core.config import ConfigError
from fedishare.storage import actors, tokens
from tests.harness import Network, Node, make_config
from tests.web.account_support import PASSWORD, Browser

LIMITS = {
    "api_requests_per_5min": 3,
    "logins_per_5min": 2,
    "signups_per_30min": 1,
    "password_resets_per_5min": 2,
    "requests_per_address_per_5min": 40,
}


@pytest.fixture
async def oak(net: Network) -> Node:
    return await net.add("oak.test", limits=LIMITS)


@asynccontextmanager
async def client_from(
    net: Network, node: Node, address: str, **headers: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connection comes from `address` (as a socket's peer would)."""
    app = net.router.apps[node.domain].app
    transport = httpx.ASGITransport(app=app, client=(address, 40_000))
    async with httpx.AsyncClient(
        transport=transport, base_url=node.base, headers=headers, timeout=10.0
    ) as client:
        yield client


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1


async def test_the_api_answers_429_with_mastodons_headers_past_its_limit(
    net: Network, oak: Node
) -> None:
    async with client_from(net, oak, "203.0.113.7") as client:
        for remaining in (2, 1, 0):
            ok = await client.get("/api/v1/instance")
            assert ok.status_code == 200
            assert ok.headers["x-ratelimit-limit"] == "3"
            assert ok.headers["x-ratelimit-remaining"] == str(remaining)
            datetime.fromisoformat(ok.headers["x-ratelimit-reset"])
        refused = await client.get("/api/v1/instance")
        assert_refused(refused)
        assert refused.json() == {"error": "Too many requests; try again later"}
        assert refused.headers["x-ratelimit-limit"] == "3"
        assert refused.headers["x-ratelimit-remaining"] == "0"
        # CORS still applies, so a browser app can read the refusal.
        assert refused.headers["access-control-allow-origin"] == "*"
    async with client_from(net, oak, "203.0.113.8") as other:
        assert (await other.get("/api/v1/instance")).status_code == 200


async def test_the_api_counts_per_token_when_one_is_given(net: Network, oak: Node) -> None:
    inst = oak.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    token = await tokens.issue(inst.db, alice.id, inst.clock())
    async with client_from(net, oak, "203.0.113.7") as anonymous:
        for _ in range(3):
            assert (await anonymous.get("/api/v1/instance")).status_code == 200
        assert_refused(await anonymous.get("/api/v1/instance"))
    auth = {"Authorization": f"Bearer {token}"}
    async with client_from(net, oak, "203.0.113.7", **auth) as member:
        for _ in range(3):
            assert (await member.get("/api/v1/accounts/verify_credentials")).status_code == 200
        assert_refused(await member.get("/api/v1/accounts/verify_credentials"))


async def test_a_refused_api_call_changes_nothing(net: Network, oak: Node) -> None:
    inst = oak.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    token = await tokens.issue(inst.db, alice.id, inst.clock())
    auth = {"Authorization": f"Bearer {token}"}
    async with client_from(net, oak, "203.0.113.7", **auth) as client:
        for _ in range(3):
            await client.get("/api/v1/accounts/verify_credentials")
        refused = await client.post("/api/v1/statuses", data={"status": "hello"})
        assert_refused(refused)
    async with client_from(net, oak, "127.0.0.1", **auth) as local:
        me = (await local.get("/api/v1/accounts/verify_credentials")).json()
        assert me["statuses_count"] == 0
        assert (await local.get("/api/v1/timelines/home")).json() == []


async def test_log_in_attempts_are_limited_per_address(net: Network, oak: Node) -> None:
    html = {"Accept": "text/html"}
    async with client_from(net, oak, "198.51.100.4", **html) as client:
        browser = Browser(client)
        for _ in range(2):
            wrong = await browser.submit("/login", "/login", username="nobody", password="x")
            assert wrong.status_code == 400
        refused = await browser.submit("/login", "/login", username="nobody", password="x")
        assert_refused(refused)
        assert "text/html" in refused.headers["content-type"]
        assert "x-ratelimit-limit" not in refused.headers  # only the API has those
        # The OAuth password grant counts against the same attempts.
        grant = await client.post(
            "/oauth/token",
            data={"grant_type": "password", "username": "nobody", "password": "x"},
        )
        assert_refused(grant)
    async with client_from(net, oak, "198.51.100.5", **html) as other:
        wrong = await Browser(other).submit("/login", "/login", username="nobody", password="x")
        assert wrong.status_code == 400


async def test_a_refused_sign_up_creates_no_member(net: Network, oak: Node) -> None:
    html = {"Accept": "text/html"}
    async with client_from(net, oak, "192.0.2.9", **html) as client:
        first = await Browser(client).submit(
            "/signup", "/signup", username="ann", password=PASSWORD
        )
        assert first.status_code == 303
    async with client_from(net, oak, "192.0.2.9", **html) as same_address:
        refused = await Browser(same_address).submit(
            "/signup", "/signup", username="bea", password=PASSWORD
        )
        assert_refused(refused)
    assert await actors.find_by_username(oak.instance.db, "ann") is not None
    assert await actors.find_by_username(oak.instance.db, "bea") is None
    async with client_from(net, oak, "192.0.2.10", **html) as other:
        done = await Browser(other).submit("/signup", "/signup", username="bea", password=PASSWORD)
        assert done.status_code == 303


async def test_password_reset_attempts_are_limited(net: Network, oak: Node) -> None:
    async with client_from(net, oak, "192.0.2.20") as client:
        for _ in range(2):
            guess = await client.post("/reset/not-a-code", data={"password": PASSWORD})
            assert guess.status_code != 429
        assert_refused(await client.post("/reset/not-a-code", data={"password": PASSWORD}))


async def test_every_request_from_one_address_counts_towards_its_limit(
    net: Network, oak: Node
) -> None:
    async with client_from(net, oak, "192.0.2.30") as client:
        answers = [(await client.get("/board")).status_code for _ in range(41)]
    assert answers[:40] == [200] * 40
    assert answers[40] == 429


async def test_a_trusted_proxy_names_the_client(net: Network, oak: Node) -> None:
    forwarded = {"X-Forwarded-For": "198.51.100.77, 127.0.0.1"}
    async with client_from(net, oak, "127.0.0.1", **forwarded) as via_proxy:
        for _ in range(3):
            assert (await via_proxy.get("/api/v1/instance")).status_code == 200
        assert_refused(await via_proxy.get("/api/v1/instance"))
    async with client_from(net, oak, "127.0.0.1") as local:
        # Loopback itself (the operator's tools) is never limited.
        for _ in range(5):
            assert (await local.get("/api/v1/instance")).status_code == 200
    # A client that is not a trusted proxy cannot choose its address with the header.
    spoofed = {"X-Forwarded-For": "198.51.100.99"}
    async with client_from(net, oak, "203.0.113.50", **spoofed) as liar:
        for _ in range(3):
            assert (await liar.get("/api/v1/instance")).status_code == 200
    async with client_from(net, oak, "203.0.113.51", **spoofed) as neighbour:
        assert (await neighbour.get("/api/v1/instance")).status_code == 200
        async with client_from(net, oak, "203.0.113.50") as same:
            assert_refused(await same.get("/api/v1/instance"))


@pytest.mark.parametrize(
    ("hops", "same"),
    [
        (["198.51.100.5:5678", "198.51.100.5:1234"], "198.51.100.5"),
        (["[2001:db8:5::1]", "[2001:db8:5::2]:443"], "2001:db8:5::3"),
        (["not an address", "not an address"], "not an address"),
    ],
)
async def test_a_forwarded_client_with_a_port_or_no_address_is_still_limited(
    net: Network, oak: Node, hops: list[str], same: str
) -> None:
    # Each named hop is the client, not the loopback proxy (which is never limited).
    for hop in (*hops, same):
        async with client_from(net, oak, "127.0.0.1", **{"X-Forwarded-For": hop}) as client:
            assert (await client.get("/api/v1/instance")).status_code == 200, hop
    async with client_from(net, oak, "127.0.0.1", **{"X-Forwarded-For": hops[0]}) as client:
        assert_refused(await client.get("/api/v1/instance"))
    async with client_from(net, oak, "127.0.0.1", **{"X-Forwarded-For": "x" * 500}) as client:
        for _ in range(3):
            assert (await client.get("/api/v1/instance")).status_code == 200
        assert_refused(await client.get("/api/v1/instance"))


async def test_ipv6_clients_count_per_64(net: Network, oak: Node) -> None:
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"):
        async with client_from(net, oak, host) as client:
            assert (await client.get("/api/v1/instance")).status_code == 200
    async with client_from(net, oak, "2001:db8:1:2::99") as same_64:
        assert_refused(await same_64.get("/api/v1/instance"))
    async with client_from(net, oak, "2001:db8:1:3::1") as next_64:
        assert (await next_64.get("/api/v1/instance")).status_code == 200


def test_the_limits_and_trusted_proxies_are_checked_in_the_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[instance\] trusted_proxies: expected a list of IP"):
        make_config(tmp_path, "oak.test", instance={"trusted_proxies": ["proxy.example"]})
    with pytest.raises(ConfigError, match=r"\[limits\] logins_per_5min: expected a positive"):
        make_config(tmp_path, "oak.test", limits={"logins_per_5min": 0})
    config = make_config(tmp_path, "oak.test", instance={"trusted_proxies": ["10.0.0.0/8"]})
    assert config.instance.trusted_proxies == ("10.0.0.0/8",)
    assert config.limits.api_requests_per_5min == 300
