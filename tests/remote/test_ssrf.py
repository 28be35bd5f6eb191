"""No peer can make us reach loopback, private, link-local or other non-public addresses: not
by an actor, keyId, WebFinger or inbox URL naming one, not by a name that resolves to one, and
not by a redirect to one. The instance here uses the production client (aiohttp, real sockets);
a listener on 127.0.0.1 records every connection it gets, and must get none."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from fedishare.accounts.members import create_member
from fedishare.app import create_app
from fedishare.context import Instance
from fedishare.federation.errors import FetchError
from fedishare.federation.signing import sign_headers
from fedishare.lifecycle import default_http_client
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.delivery import DeliveryWorker
from fedishare.remote.fetch import signed_get
from fedishare.remote.publish import publish
from fedishare.remote.webfinger import resolve_handle
from fedishare.storage import deliveries
from tests.harness import make_config
from tests.mastodon_peer import rsa_key
from tests.remote.listeners import Listener, redirect, serving


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    async with serving(Listener()) as found:
        yield found


@pytest.fixture
async def redirector() -> AsyncIterator[Listener]:
    """The one peer oak may reach on loopback (its port is in private_hosts)."""
    async with serving(Listener()) as found:
        yield found


class _WithState:
    """The app with its lifespan's state in every request, as uvicorn passes it."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "state": dict(self.state)}, receive, send)


@dataclass
class Oak:
    inst: Instance
    client: httpx.AsyncClient  # talks to oak's routes in-process, as a peer would


@pytest.fixture
async def oak(tmp_path: Path, redirector: Listener) -> AsyncIterator[Oak]:
    config = make_config(
        tmp_path, "oak.test", federation={"private_hosts": [f"127.0.0.1:{redirector.port}"]}
    )
    http = default_http_client(config)  # what `fedishare serve` uses: the guarded transport
    app = create_app(config, http=http, workers=False)
    async with http, app.router.lifespan_context(app) as state:
        assert state is not None
        transport = httpx.ASGITransport(app=_WithState(app, dict(state)))
        async with httpx.AsyncClient(transport=transport, base_url="http://oak.test") as client:
            yield Oak(state["instance"], client)


def private_urls(port: int) -> list[tuple[str, str]]:
    """(URL, the reason its refusal must give): every kind of address that is not public."""
    return [
        (f"http://127.0.0.1:{port}/users/x", "127.0.0.1 is a loopback address"),
        (f"http://127.0.0.2:{port}/users/x", "127.0.0.2 is a loopback address"),
        (f"http://localhost:{port}/users/x", r"localhost resolves to (127\.0\.0\.1|::1), a loop"),
        (f"http://[::1]:{port}/users/x", "::1 is a loopback address"),
        (f"http://[::ffff:127.0.0.1]:{port}/users/x", "is a loopback address"),
        (f"http://0.0.0.0:{port}/users/x", "0.0.0.0 is an unspecified address"),
        ("http://10.1.2.3/users/x", "10.1.2.3 is a private address"),
        ("http://192.168.1.1/users/x", "192.168.1.1 is a private address"),
        ("http://172.16.0.1/users/x", "172.16.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://100.64.0.1/users/x", "100.64.0.1 is a shared"),
        ("http://[fd00::1]/users/x", "fd00::1 is a private address"),
        ("http://[fe80::1]/users/x", "fe80::1 is a link-local address"),
        ("http://224.0.0.1/users/x", "224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/users/x", "240.0.0.1 is a reserved address"),
    ]


async def test_fetches_of_private_addresses_are_refused_before_connecting(
    oak: Oak, listener: Listener
) -> None:
    for url, reason in private_urls(listener.port):
        with pytest.raises(FetchError, match=reason):
            await signed_get(oak.inst, url)
        with pytest.raises(FetchError, match=reason):
            await get_remote_actor(oak.inst, url)
    assert listener.connections == []


async def test_an_allowed_private_host_is_reached_on_its_port_only(
    oak: Oak, redirector: Listener, listener: Listener
) -> None:
    with pytest.raises(FetchError, match="answered 404"):
        await signed_get(oak.inst, f"http://127.0.0.1:{redirector.port}/users/x")
    assert redirector.connections == ["GET /users/x HTTP/1.1"]
    with pytest.raises(FetchError, match="loopback"):
        await signed_get(oak.inst, f"http://127.0.0.1:{listener.port}/users/x")
    assert listener.connections == []


@pytest.mark.parametrize(
    "actor",
    [
        "http://127.0.0.1:{port}/users/mallory",
        "http://localhost:{port}/users/mallory",
        "http://[::1]:{port}/users/mallory",
        "http://10.0.0.7/users/mallory",
        "http://192.168.0.7/users/mallory",
        "http://172.16.0.7/users/mallory",
        "http://169.254.169.254/users/mallory",
    ],
)
async def test_an_activity_whose_key_is_on_a_private_address_is_refused_unfetched(
    oak: Oak, listener: Listener, actor: str
) -> None:
    actor = actor.format(port=listener.port)
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/follow/1",
        "type": "Follow",
        "actor": actor,
        "object": "http://oak.test/actor",
    }
    body = json.dumps(activity).encode()
    headers = sign_headers(
        "POST",
        "http://oak.test/inbox",
        body,
        key_id=f"{actor}#main-key",
        private_key=rsa_key(0),
        now=oak.inst.clock(),
    )

    response = await oak.client.post("/inbox", content=body, headers=headers)

    assert response.status_code == 401, response.text
    assert "address: refused ([federation] private_hosts" in response.text, response.text
    assert listener.connections == []
    assert await oak.inst.db.fetch_value("SELECT count(*) FROM inbox_items") == 0
    assert await oak.inst.db.fetch_value("SELECT count(*) FROM remote_actors") == 0


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://127.0.0.1:{port}/.well-known/webfinger", "127.0.0.1 is a loopback address"),
        ("http://localhost:{port}/.well-known/webfinger", "localhost resolves to"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local"),
        ("http://[::1]:{port}/", "::1 is a loopback address"),
    ],
)
async def test_a_redirect_from_an_allowed_host_to_a_private_address_is_refused(
    oak: Oak, redirector: Listener, listener: Listener, target: str, reason: str
) -> None:
    location = target.format(port=listener.port)
    redirector.answer = redirect(location)

    with pytest.raises(FetchError, match=reason):
        await resolve_handle(oak.inst, f"ann@127.0.0.1:{redirector.port}")

    assert [c.split("?")[0] for c in redirector.connections] == ["GET /.well-known/webfinger"]
    assert listener.connections == []


async def test_a_document_redirected_to_another_loopback_port_is_refused(
    oak: Oak, redirector: Listener, listener: Listener
) -> None:
    redirector.answer = redirect(f"http://127.0.0.1:{listener.port}/users/x", "301 Moved")
    with pytest.raises(FetchError, match="redirects to another server"):
        await signed_get(oak.inst, f"http://127.0.0.1:{redirector.port}/users/x")
    assert listener.connections == []


async def test_delivery_to_a_private_inbox_fails_at_once_with_the_reason(
    oak: Oak, listener: Listener
) -> None:
    alice = await create_member(oak.inst.db, oak.inst.clock, "alice")
    inboxes = {
        f"http://127.0.0.1:{listener.port}/inbox": "127.0.0.1 is a loopback address",
        f"http://localhost:{listener.port}/inbox": "localhost resolves to",
        "http://10.9.8.7/inbox": "10.9.8.7 is a private address",
        "http://169.254.169.254/inbox": "169.254.169.254 is a link-local address",
    }
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://oak.test/activities/1",
        "type": "Create",
        "actor": "http://oak.test/users/alice",
        "object": {"id": "http://oak.test/objects/1", "type": "Note", "content": "hello"},
    }
    await publish(oak.inst, alice, activity, list(inboxes))
    worker = DeliveryWorker(oak.inst)
    try:
        await worker.step()
        await worker.wait_idle()
        await worker.step()
    finally:
        await worker.aclose()

    rows = await oak.inst.db.fetch_all("SELECT * FROM deliveries ORDER BY id")
    for row in rows:
        assert (row["state"], row["attempts"]) == ("failed", 1), dict(row)
        assert inboxes[row["inbox"]] in row["last_error"]
        assert "ForbiddenAddress" in row["last_error"]
    assert len(rows) == len(inboxes)
    assert await deliveries.count_by_state(oak.inst.db) == {"failed": len(inboxes)}
    assert listener.connections == []
