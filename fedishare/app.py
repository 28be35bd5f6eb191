"""The Starlette application of one fedishare instance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from fedishare.client_api import routes as client_api
from fedishare.client_api.cors import Cors
from fedishare.context import Instance
from fedishare.core.config import Config
from fedishare.core.rate_limit import RateLimiter
from fedishare.core.types import Clock, utc_now
from fedishare.http.errors import ANSWERED
from fedishare.http.observe import HttpMetrics, Observe, RouteNames
from fedishare.http.rate_limits import AddressLimit, RateLimits
from fedishare.http.shared_limits import run_exchanges
from fedishare.inbox import routes as inbox_routes
from fedishare.inbox.store import running_writer
from fedishare.json_api import follow_requests
from fedishare.json_api import listings as listing_api
from fedishare.json_api import responses as responses_api
from fedishare.lifecycle import open_instance
from fedishare.outbox import listing_objects as listing_routes
from fedishare.outbox import routes as outbox_routes
from fedishare.reload import Reloader, web_limiters
from fedishare.storage.database import POSTGRESQL
from fedishare.web import (
    account_pages,
    actors,
    admin_moderation,
    admin_pages,
    admin_reports,
    board,
    conversation_pages,
    discovery,
    error_pages,
    health,
    listing_pages,
    oauth_pages,
    profile_pages,
    report_pages,
)
from fedishare.web.security import SecurityHeaders
from fedishare.web.templates_env import make_templates
from fedishare.workers.runner import running


def all_routes() -> list[BaseRoute]:
    # The inbox first: Starlette tries routes in order, and inbox POSTs are the hot path
    # (about 1.3 µs per route passed over).
    return [
        *inbox_routes.routes,
        *discovery.routes,
        *health.routes,
        *board.routes,
        *profile_pages.routes,
        *actors.routes,
        *outbox_routes.routes,
        *listing_pages.routes,
        *listing_routes.routes,
        *listing_api.routes,
        *responses_api.routes,
        *follow_requests.routes,
        *account_pages.routes,
        *conversation_pages.routes,
        *admin_pages.routes,
        *admin_moderation.routes,
        *admin_reports.routes,
        *report_pages.routes,
        *oauth_pages.routes,
        *client_api.routes,
        Mount("/static", StaticFiles(packages=[("fedishare.web", "static")]), name="static"),
    ]


def create_app(
    config: Config,
    *,
    http: httpx.AsyncClient | None = None,
    clock: Clock = utc_now,
    workers: bool = True,
    reload_on_sighup: bool = False,
) -> Starlette:
    """Build the app. `http` is the outgoing client (tests pass one that routes between
    in-process instances); the database opens in the lifespan, never at import. With
    `workers=False` nothing runs in the background (tests that drive the queues by hand).
    With `reload_on_sighup`, SIGHUP reloads instance.toml (fedishare.reload): `serve` only,
    as one process may hold several apps in tests."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with AsyncExitStack() as stack:
            inst = await stack.enter_async_context(open_instance(config, http=http, clock=clock))
            inst.receives = True
            # The inbox's writer runs even without workers: a 202 must mean stored.
            writer = await stack.enter_async_context(
                running_writer(inst.db, inst.clock, inst.wake_inbox.set)
            )
            if workers:
                await stack.enter_async_context(running(inst))
            addresses = AddressLimit(config)
            limiters = (
                web_limiters(app.rate_limits, addresses) if isinstance(app, FedishareApp) else {}
            )
            if inst.db.dialect == POSTGRESQL:  # several web processes may serve the instance
                await stack.enter_async_context(
                    _sharing(inst, {**limiters, "inbox_requests_per_minute": [inst.inbox_limiter]})
                )
            if reload_on_sighup and isinstance(app, FedishareApp):
                reloader = Reloader(inst, limiters)
                reloader.install()
                stack.push_async_callback(reloader.close)
            yield {
                "instance": inst,
                "templates": make_templates(),
                inbox_routes.WRITER_STATE: writer,
                inbox_routes.ADDRESSES_STATE: addresses,
                # This app's request counters and histograms, for /metrics.
                health.METRICS_STATE: (
                    app.metrics if isinstance(app, FedishareApp) else HttpMetrics()
                ),
            }

    return FedishareApp(
        config,
        routes=all_routes(),
        lifespan=lifespan,
        exception_handlers={
            **{cls: error_pages.handle for cls in ANSWERED},
            404: error_pages.no_such_page,
            405: error_pages.wrong_method,
        },
    )


@asynccontextmanager
async def _sharing(inst: Instance, limiters: dict[str, list[RateLimiter]]) -> AsyncIterator[None]:
    """Hold the rate limits together with the instance's other web processes while inside
    (fedishare.http.shared_limits), each bucket named by its [limits] key."""
    shared = {key: found[0] for key, found in limiters.items() if found}
    for limiter in shared.values():
        limiter.share()
    stop = asyncio.Event()
    task = asyncio.create_task(run_exchanges(inst.db, shared, stop), name="shared rate limits")
    try:
        yield
    finally:
        stop.set()
        await task


class FedishareApp(Starlette):
    """Starlette, except that inbox POSTs (the hot path) go straight to the inbox's ASGI
    handler, past the middleware, the router and the Request object: the same handler the
    inbox routes call, so only the way there differs. Everything else gets the security
    headers outermost, so that even a 500 from Starlette's error handler carries them, and
    CORS on the client API's paths (fedishare.client_api.cors), then the rate limits per
    client address and API token (fedishare.http.rate_limits)."""

    def __init__(self, config: Config, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # CORS inside the security headers, so that a preflight it answers gets them too;
        # the rate limits inside CORS, so that a browser app can read a 429.
        self.rate_limits = RateLimits(super().__call__, config, error_pages.handle)
        self.metrics = HttpMetrics()
        # Outermost: each request's id and time (fedishare.http.observe).
        self._secured = Observe(
            SecurityHeaders(Cors(self.rate_limits), config), self.metrics, RouteNames(self.routes)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            recipient = inbox_routes.match(scope)
            if recipient is not None:
                await inbox_routes.serve(scope, receive, send, recipient, self.metrics)
                return
        await self._secured(scope, receive, send)
