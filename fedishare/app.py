"""The Starlette application of one fedishare instance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from fedishare.context import Instance
from fedishare.core.config import Config
from fedishare.core.types import Clock, utc_now
from fedishare.http.errors import Refusal, refusal_response
from fedishare.inbox import routes as inbox_routes
from fedishare.inbox.store import running_writer
from fedishare.inbox.worker import run_inbox_worker
from fedishare.json_api import listings as listing_api
from fedishare.json_api import responses as responses_api
from fedishare.lifecycle import open_instance
from fedishare.listings.expiry import run_expiry_worker
from fedishare.outbox import listing_objects as listing_routes
from fedishare.outbox import routes as outbox_routes
from fedishare.remote.delivery import run_delivery_worker
from fedishare.web import actors, discovery
from fedishare.workers.retention import run_retention_worker

# A background worker runs until `stop` is set; it must resume from the database alone.
Worker = Callable[[Instance, asyncio.Event], Coroutine[Any, Any, None]]


def all_routes() -> list[BaseRoute]:
    # The inbox first: Starlette tries routes in order, and inbox POSTs are the hot path
    # (about 1.3 µs per route passed over).
    return [
        *inbox_routes.routes,
        *discovery.routes,
        *actors.routes,
        *outbox_routes.routes,
        *listing_routes.routes,
        *listing_api.routes,
        *responses_api.routes,
    ]


def all_workers() -> list[Worker]:
    return [run_delivery_worker, run_inbox_worker, run_expiry_worker, run_retention_worker]


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
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with AsyncExitStack() as stack:
            inst = await stack.enter_async_context(open_instance(config, http=http, clock=clock))
            # The inbox's writer runs even without workers: a 202 must mean stored.
            writer = await stack.enter_async_context(
                running_writer(inst.db, inst.clock, inst.wake_inbox.set)
            )
            if workers:
                await stack.enter_async_context(_running(inst, all_workers()))
            yield {"instance": inst, inbox_routes.WRITER_STATE: writer}

    return FedishareApp(
        routes=all_routes(),
        lifespan=lifespan,
        exception_handlers={Refusal: refusal_response},
    )


class FedishareApp(Starlette):
    """Starlette, except that inbox POSTs (the hot path) go straight to the inbox's ASGI
    handler, past the middleware, the router and the Request object: the same handler the
    inbox routes call, so only the way there differs."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            recipient = inbox_routes.match(scope)
            if recipient is not None:
                await inbox_routes.serve(scope, receive, send, recipient)
                return
        await super().__call__(scope, receive, send)


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
