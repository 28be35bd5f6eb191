"""`fedishare migrate`: bring the database's schema up to this fedishare's.

`serve`, `work` and the other commands make the schema in a new database, but refuse one
whose schema is older than theirs: with several processes (or machines) on one database,
the upgrade is one step the operator takes, with the processes stopped. On SQLite a copy of
a database that has data is kept before it is changed (fedishare.storage.backup).
"""

from __future__ import annotations

import argparse

from fedishare.core.config import Config
from fedishare.storage.database import database_for
from fedishare.storage.migrations import MIGRATIONS


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    sub.add_parser(
        "migrate",
        parents=[common],
        help="bring the database's schema up to this fedishare's (SQLite or PostgreSQL)",
        description="Apply the migrations the database lacks, each in one transaction, and "
        "print the schema version reached. Run it after upgrading fedishare, "
        "with `serve` and `work` stopped; they refuse an out-of-date schema.",
    )


async def run(config: Config) -> int:
    db = database_for(config.database_url, pool_size=1)
    await db.open(migrate=True)  # logs a line per step it takes
    try:
        version = await db.schema_version()
    finally:
        await db.close()
    print(f"{db.describe}: at schema {version} of {len(MIGRATIONS)}, up to date")
    return 0
