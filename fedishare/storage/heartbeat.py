"""The workers' heartbeat: a file beside the database (``DATABASE.heartbeat``) whose time of
last change every process running workers moves forward every few seconds.

`/readyz` reads it to know whether workers are alive, whichever process runs them (`serve`
itself, or a `fedishare work` beside `serve --no-workers`): a file, not a row, so that a
beat costs no write transaction and a full or locked database cannot stop it. Processes of
one instance share a machine (SQLite's locks need that), so they share the file too.

On PostgreSQL, processes of one instance may run on several machines: there, workers are
alive while a process holds the workers' lock on the server (`server_workers_running`,
fedishare.storage.worker_presence), which the server lets go of when the process ends.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from fedishare.storage.database import Database

BEAT_SECONDS = 5.0  # how often workers beat
STALE_SECONDS = 30.0  # no beat for this long: no worker is alive


def heartbeat_path(database: Path) -> Path:
    return database.with_name(database.name + ".heartbeat")


def beat(database: Path) -> None:
    """Record that workers are alive now."""
    path = heartbeat_path(database)
    try:
        os.utime(path)
    except FileNotFoundError:
        path.touch()


def seconds_since_beat(database: Path, now: float | None = None) -> float | None:
    """Seconds since workers last beat (None: they never have, on this database)."""
    try:
        changed = heartbeat_path(database).stat().st_mtime
    except FileNotFoundError:
        return None
    return max(0.0, (time.time() if now is None else now) - changed)


async def server_workers_running(db: Database) -> bool:
    """On a PostgreSQL database: whether any process runs workers on it now."""
    from fedishare.storage.postgres import PostgresDatabase  # only PostgreSQL's need asyncpg
    from fedishare.storage.worker_presence import workers_running

    if not isinstance(db, PostgresDatabase):
        raise TypeError(f"{db.describe} has no workers' lock on a server")
    return await workers_running(db)
