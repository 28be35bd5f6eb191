"""The versioned schema. Each migration runs once, in order, inside one transaction.

Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

import aiosqlite

MIGRATIONS: list[str] = [
    # 1: local actors (the instance Application, the community Group, member Persons).
    """
    CREATE TABLE local_actors (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        kind TEXT NOT NULL CHECK (kind IN ('application', 'group', 'person')),
        display_name TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL DEFAULT '',
        private_key_pem TEXT NOT NULL,
        public_key_pem TEXT NOT NULL,
        manually_approves_followers INTEGER NOT NULL DEFAULT 0,
        discoverable INTEGER NOT NULL DEFAULT 1,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX local_actors_one_application ON local_actors(kind)
        WHERE kind = 'application';
    CREATE UNIQUE INDEX local_actors_one_group ON local_actors(kind) WHERE kind = 'group';
    CREATE TABLE access_tokens (
        token_hash TEXT PRIMARY KEY,
        actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    );
    """,
]


async def schema_version(conn: aiosqlite.Connection) -> int:
    rows = list(await conn.execute_fetchall("PRAGMA user_version"))
    return int(rows[0][0])


async def apply_migrations(conn: aiosqlite.Connection) -> int:
    """Bring the database up to the newest schema; return the version reached."""
    version = await schema_version(conn)
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"the database is at schema {version}, newer than this fedishare ({len(MIGRATIONS)})"
        )
    for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            await conn.rollback()
            raise
        await conn.commit()
    return len(MIGRATIONS)


def _statements(sql: str) -> list[str]:
    # executescript would commit on its own; split so a migration stays one transaction.
    return [s.strip() for s in sql.split(";") if s.strip()]
