"""Opening an instance: database, outgoing client and system actors, for the app and the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial

import httpx

from fedishare import __version__
from fedishare.accounts.members import ensure_system_actors
from fedishare.context import Instance
from fedishare.core.config import Config
from fedishare.core.types import Clock, utc_now
from fedishare.core.urls import Urls
from fedishare.federation.addresses import PrivateHosts
from fedishare.listings.suspension import finish_withdrawals
from fedishare.moderation import domain_blocks
from fedishare.storage import signals
from fedishare.storage.database import database_for

USER_AGENT = f"fedishare/{__version__}"
log = logging.getLogger(__name__)


def default_http_client(config: Config) -> httpx.AsyncClient:
    # Imported here: aiohttp takes a fifth of a second to import, which commands that never
    # reach the network (most of the CLI) need not pay.
    from fedishare.federation.transport import make_http_client

    return make_http_client(
        user_agent=USER_AGENT,
        max_connections=config.limits.delivery_concurrency * 2,
        max_per_host=config.limits.delivery_per_host,
        max_response_bytes=config.limits.max_fetch_bytes,
        private_hosts=PrivateHosts(config.federation.private_hosts),
    )


@asynccontextmanager
async def open_instance(
    config: Config,
    *,
    http: httpx.AsyncClient | None = None,
    clock: Clock = utc_now,
    migrate: bool = False,
) -> AsyncIterator[Instance]:
    """The database (migrated), the outgoing client (ours unless one is passed in) and the
    instance and community actors, closed again at exit."""
    async with AsyncExitStack() as stack:
        db = database_for(
            config.database_url,
            pool_size=config.database.pool_size,
            max_bytes=config.instance.max_database_mb * 1024 * 1024,
        )
        # A new database gets its schema; an out-of-date one is for `fedishare migrate`.
        await db.open(migrate=migrate)
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
        )
        await ensure_system_actors(db, config, clock)
        await domain_blocks.start(inst)  # instance.toml's lists apply to what is stored
        await finish_withdrawals(inst)  # a suspension a crash interrupted
        follower = asyncio.create_task(_follow_domain_blocks(inst), name="domain blocks")
        stack.push_async_callback(_stop, follower)
        await stack.enter_async_context(signals.listening(db, partial(_on_signal, inst)))
        yield inst


def _on_signal(inst: Instance, kind: str, value: str) -> None:
    """Another process changed what this one keeps in memory (fedishare.storage.signals)."""
    if kind == signals.KEY:
        inst.public_keys.forget_owner(value)
    elif kind == signals.BLOCKS:
        task = asyncio.create_task(domain_blocks.reload(inst), name="domain blocks signal")
        _pending.add(task)
        task.add_done_callback(_done)


_pending: set[asyncio.Task[None]] = set()  # reloads under way (kept from collection)


def _done(task: asyncio.Task[None]) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("reloading the domain blocks failed", exc_info=task.exception())


async def _follow_domain_blocks(inst: Instance) -> None:
    """Reload the admins' domain blocks now and then: another process (the web server, or
    `fedishare work`) may have changed them; changes made in this one apply at once."""
    while True:
        await asyncio.sleep(domain_blocks.RELOAD_SECONDS)
        try:
            await domain_blocks.reload(inst)
        except Exception:  # a busy or closing database: the next turn tries again
            log.exception("reloading the domain blocks failed")


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
