"""Whether the database can take writes now and has this fedishare's schema: what `/readyz`
asks of storage.

A write is tried for real (the schema version written over with itself, in a transaction
then rolled back), so that a read-only file, a lock held too long by another process or a
broken disk show; a database at its `max_database_mb` cap (max_page_count) has no page left
for a write that needs one, which a rolled-back write would not always show, so the pages
are counted too. On PostgreSQL the server's schema version row is written instead.
"""

from __future__ import annotations

import sqlite3

from fedishare.storage.database import POSTGRESQL, Database, Unwritable
from fedishare.storage.migrations import MIGRATIONS

# Fewer pages than this left under the cap (free pages inside the file included): full.
MIN_FREE_PAGES = 8


class _RollBack(Exception):
    pass


async def write_problem(db: Database) -> str | None:
    """Why the database cannot take writes now (None: it can)."""
    if db.dialect == POSTGRESQL:
        return await _server_write_problem(db)
    try:
        async with db.transaction() as tx:
            version = int(await tx.fetch_value("PRAGMA user_version"))
            await tx.execute(f"PRAGMA user_version = {version}")
            pages = int(await tx.fetch_value("PRAGMA page_count"))
            free = int(await tx.fetch_value("PRAGMA freelist_count"))
            cap = int(await tx.fetch_value("PRAGMA max_page_count"))
            raise _RollBack
    except _RollBack:
        pass
    except Unwritable as exc:
        return f"not writable: {exc}"
    except sqlite3.Error as exc:
        return f"not writable: {exc}"
    if cap - pages + free < MIN_FREE_PAGES:
        return "full: no room left under max_database_mb or on the disk"
    return None


async def _server_write_problem(db: Database) -> str | None:
    """PostgreSQL: the schema version row written over with itself, then rolled back; a
    server that is down, read-only (a standby) or out of disk refuses it. The server keeps
    its own space: there are no pages to count."""
    try:
        async with db.transaction() as tx:
            await tx.execute("UPDATE fedishare_schema SET version = version")
            raise _RollBack
    except _RollBack:
        return None
    except Exception as exc:  # whatever the server or the connection to it says
        return f"not writable: {exc}"


async def schema_problem(db: Database) -> str | None:
    """Why the database's schema is not the one this fedishare expects (None: it is)."""
    if db.dialect == POSTGRESQL:
        version = await db.schema_version()
    else:
        version = int(await db.fetch_value("PRAGMA user_version"))
    if version != len(MIGRATIONS):
        return f"schema version {version}, expected {len(MIGRATIONS)} (migrations not applied)"
    return None
