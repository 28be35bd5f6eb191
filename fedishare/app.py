"""The Starlette application of one fedishare instance."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from starlette.applications import Starlette

from fedishare import __version__
from fedishare.accounts import ensure_system_actors
from fedishare.config import Config
from fedishare.context import Instance
from fedishare.storage.database import Database
from fedishare.types import Clock, utc_now
from fedishare.urls import Urls
from fedishare.web import actors, discovery
from fedishare.web.templates_env import make_templates

USER_AGENT = f"fedishare/{__version__}"


def default_http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(10.0),
        follow_redirects=True,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
    )


def create_app(
    config: Config, *, http: httpx.AsyncClient | None = None, clock: Clock = utc_now
) -> Starlette:
    """Build the app. `http` is the outgoing client (tests pass one that routes between
    in-process instances); the database opens in the lifespan, never at import."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Instance]]:
        async with AsyncExitStack() as stack:
            db = Database(config.instance.database)
            await db.open()
            stack.push_async_callback(db.close)
            client = http
            if client is None:
                client = default_http_client()
                stack.push_async_callback(client.aclose)
            inst = Instance(
                config=config,
                db=db,
                http=client,
                clock=clock,
                urls=Urls(config.base_url),
                templates=make_templates(),
            )
            await ensure_system_actors(db, config, clock)
            yield {"instance": inst}

    return Starlette(
        routes=[*discovery.routes, *actors.routes],
        lifespan=lifespan,
    )
