"""PostgreSQL's schema, made from the same migrations as SQLite's.

A new PostgreSQL database starts at the newest schema: the migrations are applied to an
in-memory SQLite database, and each table and index they leave is written out in
PostgreSQL's terms (`schema_statements`). Backfills have nothing to fill in a new database,
so they need no PostgreSQL form. A database made by an older fedishare is brought up to
date by the PostgreSQL text of each migration after `BASELINE` (`UPGRADES`), which every
migration added from now on gives beside its SQLite text.

Types: INTEGER is BIGINT and REAL double precision; an INTEGER PRIMARY KEY is an identity
column; TEXT compares byte by byte, as in SQLite (COLLATE "C", whatever the server's
locale); a COLLATE NOCASE column is CITEXT. A table without an integer key gets the
``rowid`` column SQLite gives every table, as an identity column.

Full text: SQLite's FTS5 table `listings_fts` is a plain table here with the same columns,
whose ``document`` (a tsvector, weighted title A, place B, description C, accents removed)
is generated from them and GIN-indexed.
"""

from __future__ import annotations

import re

import aiosqlite

from fedishare.storage.migrations import MIGRATIONS, apply_migrations

BASELINE = 18  # the newest schema when PostgreSQL came: no PostgreSQL database is older
# Migration number -> its PostgreSQL statements (";"-separated), for each after BASELINE.
UPGRADES: dict[int, str] = {}
TEXT_SEARCH_CONFIG = "fedishare_words"

_PROLOGUE = [
    "CREATE EXTENSION IF NOT EXISTS citext",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"""DO $$ BEGIN
        CREATE TEXT SEARCH CONFIGURATION {TEXT_SEARCH_CONFIG} (COPY = simple);
        ALTER TEXT SEARCH CONFIGURATION {TEXT_SEARCH_CONFIG}
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
    EXCEPTION WHEN unique_violation THEN NULL; END $$""",
    "CREATE TABLE fedishare_schema (version BIGINT NOT NULL)",
]
_FULL_TEXT = [
    f"""CREATE TABLE listings_fts (
        rowid BIGINT PRIMARY KEY,
        title TEXT COLLATE "C" NOT NULL DEFAULT '',
        description TEXT COLLATE "C" NOT NULL DEFAULT '',
        place_name TEXT COLLATE "C" NOT NULL DEFAULT '',
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', title), 'A')
            || setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', place_name), 'B')
            || setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', description), 'C')
        ) STORED
    )""",
    "CREATE INDEX listings_fts_document ON listings_fts USING GIN (document)",
    f"""CREATE INDEX listings_fts_place ON listings_fts
        USING GIN (to_tsvector('{TEXT_SEARCH_CONFIG}', place_name))""",
]
_SKIPPED = re.compile(r"^(sqlite_|listings_fts)")
_CONSTRAINT = re.compile(r"^(PRIMARY\s+KEY|UNIQUE|CHECK|FOREIGN\s+KEY|CONSTRAINT)\b", re.I)
_COLUMN = re.compile(r'^("?)(\w+)\1\s+(\w+)(.*)$', re.S)
_REFERENCES = re.compile(r"REFERENCES\s+\"?(\w+)\"?", re.I)
_TYPES = {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "TEXT": 'TEXT COLLATE "C"'}


async def schema_statements() -> list[str]:
    """Every statement that makes an empty PostgreSQL database the newest schema."""
    async with aiosqlite.connect(":memory:") as conn:
        await apply_migrations(conn)
        rows = await conn.execute_fetchall(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"
            " WHERE sql IS NOT NULL ORDER BY rowid"
        )
    tables: dict[str, str] = {}
    indexes: list[str] = []
    for kind, name, table, sql in rows:
        if _SKIPPED.match(name) or _SKIPPED.match(table):
            continue
        if kind == "table":
            tables[name] = _table(name, sql)
        elif kind == "index":
            indexes.append(_index(sql))
    return [*_PROLOGUE, *_in_dependency_order(tables), *indexes, *_FULL_TEXT]


def upgrade_statements(version: int) -> list[str]:
    """The statements that bring a PostgreSQL database at `version` to the newest schema."""
    statements: list[str] = []
    for number in range(version + 1, len(MIGRATIONS) + 1):
        if number not in UPGRADES:
            raise RuntimeError(f"migration {number} has no PostgreSQL form (UPGRADES)")
        statements += [s.strip() for s in UPGRADES[number].split(";") if s.strip()]
    return statements


def _table(name: str, sql: str) -> str:
    body = sql[sql.index("(") + 1 : sql.rindex(")")]
    without_rowid = re.search(r"\)\s*WITHOUT\s+ROWID\s*$", sql, re.I) is not None
    items = [item.strip() for item in _split(body)]
    columns: list[str] = []
    has_integer_key = False
    for item in items:
        if _CONSTRAINT.match(item):
            columns.append(item)
            continue
        match = _COLUMN.match(item)
        if match is None:
            raise ValueError(f"{name}: cannot read the column {item!r}")
        column, declared, rest = match.group(2), match.group(3).upper(), match.group(4)
        if declared == "INTEGER" and re.match(r"\s*PRIMARY\s+KEY", rest, re.I):
            has_integer_key = True
            rest = re.sub(r"^\s*PRIMARY\s+KEY", "", rest, flags=re.I)
            columns.append(f"{column} BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY{rest}")
            continue
        pg_type = _TYPES[declared]
        if re.search(r"\bCOLLATE\s+NOCASE\b", rest, re.I):
            pg_type = "CITEXT"
            rest = re.sub(r"\s*\bCOLLATE\s+NOCASE\b", "", rest, flags=re.I)
        columns.append(f"{column} {pg_type}{rest}")
    if not has_integer_key and not without_rowid:
        columns.insert(0, "rowid BIGINT GENERATED BY DEFAULT AS IDENTITY UNIQUE")
    return f"CREATE TABLE {name} (\n    " + ",\n    ".join(columns) + "\n)"


def _index(sql: str) -> str:
    sql = re.sub(r"\s*\bCOLLATE\s+NOCASE\b", "", sql, flags=re.I)
    return sql.replace('"', "")


def _split(body: str) -> list[str]:
    """`body`'s items at the commas outside parentheses."""
    items, depth, start = [], 0, 0
    for i, c in enumerate(body):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            items.append(body[start:i])
            start = i + 1
    items.append(body[start:])
    return [item for item in items if item.strip()]


def _in_dependency_order(tables: dict[str, str]) -> list[str]:
    """The CREATE TABLEs so that every table comes after those it references."""
    done: list[str] = []
    placed: set[str] = set()

    def place(name: str, seen: frozenset[str]) -> None:
        if name in placed or name in seen:
            return
        for target in _REFERENCES.findall(tables[name]):
            if target != name and target in tables:
                place(target, seen | {name})
        placed.add(name)
        done.append(tables[name])

    for name in tables:
        place(name, frozenset())
    return done
