"""Several fedishare instances in one process, each on its own host name, calling each other
through one routing transport (no sockets)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from fedishare.app import create_app
from fedishare.context import Instance
from fedishare.core.config import Config, parse_config
from fedishare.core.types import Clock, utc_now
from tests.databases import backend, fresh_database


def make_config(directory: Path, domain: str, **sections: dict[str, Any]) -> Config:
    """A local (plain http) config for `domain`, with any section overridden. Its database:
    DIRECTORY/DOMAIN.sqlite3, or on PostgreSQL (tests/databases.py) a database of this test's
    for the same directory and domain."""
    name = domain.replace(":", "_")
    data: dict[str, Any] = {
        "instance": {
            "domain": domain,
            "scheme": "http",
            "allow_insecure": True,
            "listen": "127.0.0.1:8080",
            "database": str(directory / f"{name}.sqlite3"),
        },
        "community": {"handle": "community", "name": f"Community of {domain}"},
        "registration": {"policy": "open"},
    }
    if backend() == "postgresql":
        del data["instance"]["database"]
        data["database"] = {"url": fresh_database(directory, name)}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return parse_config(data, directory / "instance.toml")


class _WithState:
    """Runs an app with the lifespan's state in every request scope, as uvicorn does."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = {**scope, "state": dict(self.state)}
        await self.app(scope, receive, send)


class HostRouter(httpx.AsyncBaseTransport):
    """Sends each request to the app registered for its host[:port]."""

    def __init__(self) -> None:
        self.apps: dict[str, httpx.ASGITransport] = {}
        self.requests: list[httpx.Request] = []

    def add(self, host: str, app: ASGIApp) -> None:
        self.apps[host] = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        transport = self.apps.get(request.url.netloc.decode("ascii"))
        if transport is None:
            raise httpx.ConnectError(f"no route to {request.url.host}", request=request)
        return await transport.handle_async_request(request)


@dataclass
class Node:
    """One running instance of the network."""

    domain: str
    app: Starlette
    instance: Instance
    client: httpx.AsyncClient  # talks to any node, as a remote peer would

    @property
    def base(self) -> str:
        return f"http://{self.domain}"


class Network:
    def __init__(self, directory: Path, clock: Clock = utc_now) -> None:
        self.directory = directory
        self.clock = clock
        self.router = HostRouter()
        self.nodes: dict[str, Node] = {}
        self._stack = AsyncExitStack()

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.router, timeout=10.0)

    async def add(self, domain: str, *, workers: bool = True, **sections: dict[str, Any]) -> Node:
        """An instance at `domain`; with `workers=False` nothing runs in its background (a
        test that drives a queue or a pass by hand)."""
        config = make_config(self.directory, domain, **sections)
        http = await self._stack.enter_async_context(self.client())
        app = create_app(config, http=http, clock=self.clock, workers=workers)
        state = await self._stack.enter_async_context(app.router.lifespan_context(app))
        assert state is not None
        self.router.add(domain, _WithState(app, dict(state)))
        node = Node(domain, app, state["instance"], http)
        self.nodes[domain] = node
        return node

    async def aclose(self) -> None:
        await self._stack.aclose()


@asynccontextmanager
async def network(directory: Path, clock: Clock = utc_now) -> AsyncIterator[Network]:
    net = Network(directory, clock)
    try:
        yield net
    finally:
        await net.aclose()
