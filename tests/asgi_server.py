"""An ASGI app served by uvicorn on a socket already bound on loopback, inside the test's
own event loop: for peers that a real `fedishare serve` process calls back."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

from tests.waiting import eventually


@asynccontextmanager
async def serving_app(app: ASGIApp, sock: socket.socket) -> AsyncIterator[None]:
    """Serve `app` on `sock` while inside; stopped (and awaited) on the way out."""
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        if task.done():
            task.result()
            raise AssertionError("the server stopped before it started serving")
        return bool(server.started)

    await eventually(started, within=10)
    try:
        yield
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
