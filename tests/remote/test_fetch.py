"""signed_get and get_json: what we send, and every kind of answer we refuse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from fedishare.context import Instance
from fedishare.core.config import parse_config
from fedishare.federation.errors import FetchError
from fedishare.federation.public_key import ResolvedKey, load_public_key
from fedishare.federation.verification import verify_request
from fedishare.lifecycle import open_instance
from fedishare.remote.fetch import get_json, signed_get
from fedishare.storage import actors
from tests.harness import Network, Node

ACTIVITY = "application/activity+json"


class Server:
    """peer.test: answers every request with the response the test set, remembering requests."""

    def __init__(self) -> None:
        self.response: Response = Response(b'{"id": "x"}', media_type=ACTIVITY)
        self.requests: list[Request] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.requests.append(Request(scope))
        await self.response(scope, receive, send)


@pytest.fixture
async def oak(net: Network) -> Node:
    return await net.add(
        "oak.test", federation={"block": ["blocked.test"]}, limits={"max_fetch_bytes": 1000}
    )


@pytest.fixture
def server(net: Network) -> Server:
    s = Server()
    net.router.add("peer.test", s)
    return s


async def test_signed_get_is_signed_by_the_instance_actor(oak: Node, server: Server) -> None:
    document = await signed_get(oak.instance, "http://peer.test/users/ann?x=1")

    assert document == {"id": "x"}
    request = server.requests[0]
    assert request.headers["accept"].startswith("application/activity+json")
    assert 'keyId="http://oak.test/actor#main-key"' in request.headers["signature"]
    application = await actors.find_by_kind(oak.instance.db, "application")
    assert application is not None

    async def our_key(key_id: str, refresh: bool) -> ResolvedKey:
        return ResolvedKey(
            key_id, "http://oak.test/actor", load_public_key(application.public_key_pem)
        )

    target = request.url.path + "?" + request.url.query
    key = await verify_request(
        "GET", target, request.headers, b"", resolve_key=our_key, now=oak.instance.clock()
    )
    assert key.owner == "http://oak.test/actor"


@pytest.mark.parametrize(
    "media_type",
    [ACTIVITY, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'],
)
async def test_activity_media_types_are_read(oak: Node, server: Server, media_type: str) -> None:
    server.response = Response(b'{"id": "y"}', headers={"content-type": media_type})
    assert await signed_get(oak.instance, "http://peer.test/a") == {"id": "y"}


async def _chunks() -> AsyncIterator[bytes]:
    for _ in range(20):
        yield b" " * 100
    yield b"{}"


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (Response(b"{}", status_code=404, media_type=ACTIVITY), "answered 404"),
        (Response(b"{}", status_code=301, headers={"location": "/b"}), "more than 3 times"),
        (Response(b"{}", status_code=301), "answered 301"),  # no Location: nowhere to go
        (Response(b"<html></html>", media_type="text/html"), "text/html"),
        (Response(b'{"id": "x"}', media_type="application/json"), "application/json"),
        (Response(b"", headers={"content-type": ""}), "nothing"),
        (Response(b"{" + b" " * 1000 + b"}", media_type=ACTIVITY), "larger than 1000"),
        (StreamingResponse(_chunks(), media_type=ACTIVITY), "larger than 1000"),
        (Response(b"{not json", media_type=ACTIVITY), "not valid JSON"),
        (Response(b"[1, 2]", media_type=ACTIVITY), "not a JSON object"),
    ],
    ids=[
        "404",
        "redirect-loop",
        "redirect-nowhere",
        "html",
        "plain-json",
        "no-type",
        "too-large",
        "too-large-stream",
        "bad-json",
        "array",
    ],
)
async def test_unusable_answers_are_refused(
    oak: Node, server: Server, response: Response, reason: str
) -> None:
    server.response = response
    with pytest.raises(FetchError, match=reason):
        await signed_get(oak.instance, "http://peer.test/a")


class Redirector:
    """peer.test: /a redirects to /b (signed GETs are signed again for /b), /b answers."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.requests: list[Request] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        self.requests.append(request)
        if request.url.path == "/a":
            response = Response(status_code=302, headers={"location": self.location})
        else:
            response = Response(b'{"id": "http://peer.test/b"}', media_type=ACTIVITY)
        await response(scope, receive, send)


async def test_a_redirect_on_the_same_server_is_followed_and_signed_again(
    oak: Node, net: Network
) -> None:
    peer = Redirector("/b")
    net.router.add("peer.test", peer)

    assert await signed_get(oak.instance, "http://peer.test/a") == {"id": "http://peer.test/b"}
    assert [r.url.path for r in peer.requests] == ["/a", "/b"]
    signatures = [r.headers["signature"] for r in peer.requests]
    assert signatures[0] != signatures[1]  # each covers its own path


async def test_a_document_redirected_to_another_server_is_refused(oak: Node, net: Network) -> None:
    net.router.add("peer.test", Redirector("http://other.test/b"))
    other = Server()
    net.router.add("other.test", other)

    with pytest.raises(FetchError, match=r"redirects to another server: http://other\.test/b"):
        await signed_get(oak.instance, "http://peer.test/a")
    assert other.requests == []


async def test_webfinger_may_be_redirected_to_another_server_but_not_a_blocked_one(
    oak: Node, net: Network
) -> None:
    net.router.add("peer.test", Redirector("http://blocked.test/b"))
    before = len(net.router.requests)

    with pytest.raises(FetchError, match=r"blocked\.test is not allowed"):
        await get_json(oak.instance, "http://peer.test/a", accept=ACTIVITY, media_types={ACTIVITY})
    assert [r.url.host for r in net.router.requests[before:]] == ["peer.test"]


async def test_the_status_of_a_refusal_is_kept(oak: Node, server: Server) -> None:
    server.response = Response(status_code=410)
    with pytest.raises(FetchError) as caught:
        await signed_get(oak.instance, "http://peer.test/gone")
    assert caught.value.status == 410


@pytest.mark.parametrize(
    "url",
    [
        "http://blocked.test/a",
        "http://sub.blocked.test/a",
        "ftp://peer.test/a",
        "/relative",
        "not a url",
    ],
)
async def test_blocked_and_malformed_urls_are_not_requested(
    oak: Node, server: Server, net: Network, url: str
) -> None:
    before = len(net.router.requests)
    with pytest.raises(FetchError):
        await signed_get(oak.instance, url)
    assert len(net.router.requests) == before


async def test_unreachable_hosts_are_a_fetch_error(oak: Node) -> None:
    with pytest.raises(FetchError, match="unreachable"):
        await signed_get(oak.instance, "http://nowhere.test/a")


async def test_plain_http_needs_allow_insecure(tmp_path: Path) -> None:
    async with _https_instance(tmp_path) as inst:
        with pytest.raises(FetchError, match="plain http"):
            await signed_get(inst, "http://peer.test/a")


async def test_get_json_is_unsigned(oak: Node, server: Server) -> None:
    server.response = Response(
        b'{"subject": "acct:a@peer.test"}', media_type="application/jrd+json"
    )
    jrd = await get_json(
        oak.instance,
        "http://peer.test/.well-known/webfinger",
        accept="application/jrd+json",
        media_types={"application/jrd+json"},
    )
    assert jrd == {"subject": "acct:a@peer.test"}
    assert "signature" not in server.requests[0].headers


@asynccontextmanager
async def _https_instance(tmp_path: Path) -> AsyncIterator[Instance]:
    config = parse_config(
        {"instance": {"domain": "oak.example", "database": str(tmp_path / "db.sqlite3")}},
        tmp_path / "instance.toml",
    )
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(_never)) as client,
        open_instance(config, http=client) as inst,
    ):
        yield inst


def _never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request expected, got {request.url}")
