"""The Starlette application of one fedishare instance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.routing import BaseRoute

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

# A background worker runs until `stop` is set; it must resume from the database alone.
Worker = Callable[[Instance, asyncio.Event], Coroutine[Any, Any, None]]


def all_routes() -> list[BaseRoute]:
    return [*discovery.routes, *actors.routes]


def all_workers() -> list[Worker]:
    return []


def default_http_client(config: Config) -> httpx.AsyncClient:
    from fedishare.federation.transport import make_http_client

    return make_http_client(
        user_agent=USER_AGENT,
        max_connections=config.limits.delivery_concurrency * 2,
        max_per_host=config.limits.delivery_per_host,
        max_response_bytes=config.limits.max_fetch_bytes,
    )


def create_app(
    config: Config,
    *,
    http: httpx.AsyncClient | None = None,
    clock: Clock = utc_now,
    workers: bool = True,
) -> Starlette:
    """Build the app. `http` is the outgoing client (tests pass one that routes between
    in-process instances); the database opens in the lifespan, never at import. With
    `workers=False` nothing runs in the background (tests that drive the queues by hand)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Instance]]:
        async with AsyncExitStack() as stack:
            db = Database(config.instance.database)
            await db.open()
            stack.push_async_callback(db.close)
            client = http
            if client is None:
                client = default_http_client(config)
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
            if workers:
                await stack.enter_async_context(_running(inst, all_workers()))
            yield {"instance": inst}

    return Starlette(
        routes=all_routes(),
        lifespan=lifespan,
    )


@asynccontextmanager
async def _running(inst: Instance, workers: list[Worker]) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w(inst, stop), name=w.__qualname__) for w in workers]
    try:
        yield
    finally:
        stop.set()
        inst.wake_delivery.set()
        inst.wake_inbox.set()
        done, pending = await asyncio.wait(tasks, timeout=10) if tasks else (set(), set())
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
