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
whose ``document`` (a tsvector, weighted title A, place B, description C) a trigger makes
from them, GIN-indexed; its words are FTS5's own (`fedishare.storage.fts_tokens`), and FTS5's
totals are kept beside it, so that searches rank as on SQLite (`listing_search`).
"""

from __future__ import annotations

import re

import aiosqlite

from fedishare.storage.fts_tokens import tokens_function
from fedishare.storage.migrations import MIGRATIONS, apply_migrations

BASELINE = 18  # the newest schema when PostgreSQL came: no PostgreSQL database is older
# Migration number -> its PostgreSQL statements (";"-separated), for each after BASELINE.
UPGRADES: dict[int, str] = {
    19: """
    ALTER TABLE deliveries ADD COLUMN lease_until DOUBLE PRECISION NOT NULL DEFAULT 0;
    CREATE INDEX deliveries_leased ON deliveries(lease_until) WHERE lease_until > 0;
    """,
    20: """
    CREATE UNLOGGED TABLE rate_buckets (
        name TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        tokens DOUBLE PRECISION NOT NULL,
        updated DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (name, key)
    );
    """,
}
# Tables whose rows need not survive a crash of the server: not written to its log.
_UNLOGGED = frozenset({"rate_buckets"})
_PROLOGUE = [
    "CREATE EXTENSION IF NOT EXISTS citext",
    # Words as SQLite's FTS5 tokenizer makes them (fedishare.storage.fts_tokens), and an
    # entry's words as a tsvector: title (weight A), place (B), description (C), each word
    # at its own position, with a position left between the columns (no phrase runs from
    # one into the next). Tokens hold no quote, backslash or space (all separators).
    tokens_function(),
    """CREATE OR REPLACE FUNCTION fedishare_document(t text[], p text[], d text[])
    RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $document$
    SELECT CAST(coalesce(string_agg(x, ' '), '') AS tsvector) FROM (
        SELECT '''' || w || ''':' || (n + 1) || 'A' AS x
        FROM unnest(t) WITH ORDINALITY AS s(w, n)
        UNION ALL SELECT '''' || w || ''':' || (n + cardinality(t) + 2) || 'B'
        FROM unnest(p) WITH ORDINALITY AS s(w, n)
        UNION ALL SELECT '''' || w || ''':' || (n + cardinality(t) + cardinality(p) + 3) || 'C'
        FROM unnest(d) WITH ORDINALITY AS s(w, n)) v
    $document$""",
    "CREATE TABLE fedishare_schema (version BIGINT NOT NULL)",
]
_FULL_TEXT = [
    # `document` holds the words (title A, place B, description C; fts_tokens), `size` how
    # many there are: with the totals below, what BM25 needs (listing_search).
    """CREATE TABLE listings_fts (
        rowid BIGINT PRIMARY KEY,
        title TEXT COLLATE "C" NOT NULL DEFAULT '',
        description TEXT COLLATE "C" NOT NULL DEFAULT '',
        place_name TEXT COLLATE "C" NOT NULL DEFAULT '',
        document tsvector NOT NULL DEFAULT '',
        size BIGINT NOT NULL DEFAULT 0
    )""",
    # Made by a trigger rather than as generated columns: each text is split once.
    """CREATE FUNCTION listings_fts_words() RETURNS trigger LANGUAGE plpgsql AS $words$
    DECLARE
        t text[] := fedishare_tokens(NEW.title);
        p text[] := fedishare_tokens(NEW.place_name);
        d text[] := fedishare_tokens(NEW.description);
    BEGIN
        NEW.document := fedishare_document(t, p, d);
        NEW.size := cardinality(t) + cardinality(p) + cardinality(d);
        RETURN NEW;
    END $words$""",
    """CREATE TRIGGER listings_fts_words BEFORE INSERT OR UPDATE ON listings_fts
        FOR EACH ROW EXECUTE FUNCTION listings_fts_words()""",
    "CREATE INDEX listings_fts_document ON listings_fts USING GIN (document)",
    "CREATE INDEX listings_fts_place ON listings_fts USING GIN (fedishare_tokens(place_name))",
    # How many entries and words the index holds (FTS5 keeps the same two totals): rows of
    # changes that sum to them, each statement adding one and folding in those no other
    # transaction holds (SKIP LOCKED), so that writers never wait on one another here.
    "CREATE TABLE listings_fts_totals (entries BIGINT NOT NULL, words BIGINT NOT NULL)",
    "INSERT INTO listings_fts_totals (entries, words) VALUES (0, 0)",
    """CREATE FUNCTION listings_fts_count() RETURNS trigger LANGUAGE plpgsql AS $count$
    DECLARE
        n BIGINT := 0;
        w BIGINT := 0;
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            SELECT count(*), coalesce(sum(size), 0) INTO n, w FROM added;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            SELECT n - count(*), w - coalesce(sum(size), 0) INTO n, w FROM removed;
        END IF;
        WITH folded AS (
            DELETE FROM listings_fts_totals WHERE ctid IN (
                SELECT ctid FROM listings_fts_totals FOR UPDATE SKIP LOCKED)
            RETURNING entries, words)
        INSERT INTO listings_fts_totals (entries, words)
        SELECT n + coalesce(sum(entries), 0), w + coalesce(sum(words), 0) FROM folded;
        RETURN NULL;
    END $count$""",
    """CREATE TRIGGER listings_fts_added AFTER INSERT ON listings_fts
        REFERENCING NEW TABLE AS added
        FOR EACH STATEMENT EXECUTE FUNCTION listings_fts_count()""",
    """CREATE TRIGGER listings_fts_removed AFTER DELETE ON listings_fts
        REFERENCING OLD TABLE AS removed
        FOR EACH STATEMENT EXECUTE FUNCTION listings_fts_count()""",
    """CREATE TRIGGER listings_fts_changed AFTER UPDATE ON listings_fts
        REFERENCING OLD TABLE AS removed NEW TABLE AS added
        FOR EACH STATEMENT EXECUTE FUNCTION listings_fts_count()""",
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
    create = "CREATE UNLOGGED TABLE" if name in _UNLOGGED else "CREATE TABLE"
    return f"{create} {name} (\n    " + ",\n    ".join(columns) + "\n)"


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
