"""Signals between the processes of one instance: "forget this actor's key", "the domain
blocks changed".

On PostgreSQL a signal is a NOTIFY on the `fedishare` channel, sent with the transaction
that made the change (delivered when it commits, to every process listening: web servers
and workers, on any machine). On SQLite nothing is sent: its processes share one machine
and already catch up by themselves (the domain blocks are read again every few seconds,
a key that stops verifying is fetched again), which is what happens on PostgreSQL too when
a listening connection has been lost.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fedishare.storage.database import POSTGRESQL, Database, Transaction

CHANNEL = "fedishare"
KEY = "key"  # an actor's key changed or is gone: value, the actor's id
BLOCKS = "blocks"  # the domain or account blocks changed: no value

Handler = Callable[[str, str], None]  # (kind, value)
log = logging.getLogger(__name__)


async def send(db: Database | Transaction, kind: str, value: str = "") -> None:
    """Tell the other processes; in a transaction, once it commits."""
    if db.dialect == POSTGRESQL:
        await db.fetch_value("SELECT pg_notify(?, ?)", (CHANNEL, f"{kind} {value}"))


@asynccontextmanager
async def listening(db: Database, handler: Handler) -> AsyncIterator[None]:
    """Call `handler` with each signal another process sends while inside (on PostgreSQL;
    on SQLite there are none)."""
    connection = getattr(db, "connection", None)
    if db.dialect != POSTGRESQL or connection is None:
        yield
        return

    def received(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        kind, _, value = payload.partition(" ")
        try:
            handler(kind, value)
        except Exception:
            log.exception("handling the signal %r failed", payload)

    async with connection() as conn:
        await conn.add_listener(CHANNEL, received)
        try:
            yield
        finally:
            await conn.remove_listener(CHANNEL, received)
