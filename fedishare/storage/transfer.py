"""An instance's whole database read out and written into another, of either backend: what
`fedishare export` and `fedishare import` move between SQLite and PostgreSQL.

Every table is moved as it is, with its integer keys, so that every reference between rows
holds in the new database. A table without an integer key of its own keeps its ``rowid``
too (SQLite's implicit one; the identity column PostgreSQL's schema gives such a table),
since some of them are paged by it (reactions, favourites): both backends list it as the
table's first column. Left out: what each backend makes for itself, which is rebuilt or
kept by the target (SQLite's ``sqlite_`` tables; the full-text index ``listings_fts`` with
the tables beside it, FTS5's shadow tables on SQLite, the totals on PostgreSQL, which its
triggers keep; PostgreSQL's ``fedishare_schema`` and any generated column).

Reads (`snapshot`) all see one state of the database, however busy it is: on SQLite one
read transaction on a connection of its own (in WAL mode it never holds up a writer), on
PostgreSQL a REPEATABLE READ, READ ONLY transaction. Rows come in batches ordered by each
table's key, each batch starting after the last key of the one before.

Writes (`write_rows`, inside one `Database.transaction()` that the caller holds for the
whole import) go in with ``executemany``, tables in dependency order so that every foreign
key finds its row; `finish_import` then rebuilds the full-text index from the listings and,
on PostgreSQL, moves each identity column's sequence past the largest key written.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import aiosqlite

from fedishare.storage.database import (
    POSTGRESQL,
    SQLITE,
    Database,
    Dialect,
    Transaction,
)

# Tables neither read nor written: each backend's own, and the full-text index and what
# goes with it, which the target builds from `listings` (`finish_import`).
_SKIPPED = re.compile(r"^(sqlite_|listings_fts|fedishare_schema$)")
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*$", re.IGNORECASE)

# How a column's values are kept, the same words for both backends.
Kind = Literal["integer", "real", "text", "blob"]
_PG_KINDS: dict[str, Kind] = {
    "bigint": "integer",
    "integer": "integer",
    "smallint": "integer",
    "double precision": "real",
    "real": "real",
    "bytea": "blob",
}

# The full-text index holds what the writers put there: the live listings' text
# (fedishare.storage.listings removes a deleted listing's entry). Built from exactly those,
# search ranks (bm25 on SQLite) see the same rows as on the source.
_INDEX_LISTINGS = (
    "INSERT INTO listings_fts (rowid, title, description, place_name)"
    " SELECT num, title, description, place_name FROM listings WHERE deleted = 0"
)
_CLEAR_INDEX = {
    SQLITE: "INSERT INTO listings_fts (listings_fts) VALUES ('delete-all')",
    POSTGRESQL: "DELETE FROM listings_fts",
}


@dataclass(frozen=True)
class Table:
    """A table as moved: its columns (``rowid`` first where the table has no integer key
    of its own), the kind of value each holds, the columns it is ordered by (a unique key),
    its integer key (None for a table keyed by text alone) and the tables it references."""

    name: str
    columns: tuple[str, ...]
    kinds: tuple[Kind, ...]
    order: tuple[str, ...]
    integer_key: str | None
    references: frozenset[str]


class Snapshot:
    """Reads of one state of the database (see the module's notes); from `snapshot`."""

    def __init__(self, dialect: Dialect, conn: Any) -> None:
        """`conn`: an aiosqlite or asyncpg connection, in its read transaction."""
        self.dialect = dialect
        self._conn = conn

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.dialect == SQLITE:
            return [tuple(row) for row in await self._conn.execute_fetchall(sql, params)]
        # asyncpg's own parameters ($1...): this connection is PostgreSQL's, untranslated.
        return [tuple(row) for row in await self._conn.fetch(sql, *params)]

    async def tables(self) -> list[Table]:
        """Every table moved, each after the tables it references."""
        if self.dialect == SQLITE:
            return in_dependency_order(await self._sqlite_tables())
        return in_dependency_order(await self._postgres_tables())

    async def count(self, table: Table) -> int:
        rows = await self._rows(f"SELECT count(*) FROM {_name(table.name)}")
        return int(rows[0][0])

    async def batches(self, table: Table, size: int) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The table's rows (values in `table.columns` order), `size` at a time, by key."""
        columns = ", ".join(_column(c) for c in table.columns)
        order = ", ".join(_column(c) for c in table.order)
        first = f"SELECT {columns} FROM {_name(table.name)} ORDER BY {order} LIMIT {size}"
        if self.dialect == SQLITE:
            after = ", ".join("?" for _ in table.order)
        else:
            after = ", ".join(f"${n}" for n in range(1, len(table.order) + 1))
        # Row values compare column by column, as ORDER BY sorts (on either backend).
        following = (
            f"SELECT {columns} FROM {_name(table.name)} WHERE ({order}) > ({after})"
            f" ORDER BY {order} LIMIT {size}"
        )
        at = [table.columns.index(c) for c in table.order]
        rows = await self._rows(first)
        while rows:
            yield rows
            if len(rows) < size:
                return
            last = rows[-1]
            rows = await self._rows(following, [last[i] for i in at])

    async def _sqlite_tables(self) -> list[Table]:
        found = await self._rows(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name"
        )
        tables: list[Table] = []
        for name, sql in found:
            if _SKIPPED.match(name):
                continue
            info = await self._rows(f"PRAGMA table_xinfo({_name(name)})")
            # (cid, name, type, notnull, default, pk, hidden): hidden 2 and 3 are generated.
            shown = [row for row in info if row[6] == 0]
            columns = [str(row[1]) for row in shown]
            kinds = [_sqlite_kind(str(row[2])) for row in shown]
            key = [str(row[1]) for row in sorted((r for r in shown if r[5]), key=lambda r: r[5])]
            integer_key: str | None = None
            without_rowid = _WITHOUT_ROWID.search(str(sql)) is not None
            if without_rowid:
                order = key
            elif len(key) == 1 and kinds[columns.index(key[0])] == "integer":
                integer_key = key[0]  # an alias of the rowid
                order = key
            else:
                columns.insert(0, "rowid")
                kinds.insert(0, "integer")
                integer_key = "rowid"
                order = ["rowid"]
            references = await self._rows(f"PRAGMA foreign_key_list({_name(name)})")
            tables.append(
                Table(
                    name,
                    tuple(columns),
                    tuple(kinds),
                    tuple(order),
                    integer_key,
                    frozenset(str(row[2]) for row in references),
                )
            )
        return tables

    async def _postgres_tables(self) -> list[Table]:
        found = await self._rows(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            " ORDER BY table_name"
        )
        tables: list[Table] = []
        for (name,) in found:
            if _SKIPPED.match(name):
                continue
            info = await self._rows(
                "SELECT column_name, data_type, is_identity FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = $1"
                " AND is_generated = 'NEVER' ORDER BY ordinal_position",
                [name],
            )
            columns = tuple(str(row[0]) for row in info)
            kinds = tuple(_PG_KINDS.get(str(row[1]), "text") for row in info)
            identities = [str(row[0]) for row in info if row[2] == "YES"]
            # A table's own integer key wins over the rowid column beside a text key.
            own = [c for c in identities if c != "rowid"]
            integer_key = own[0] if own else (identities[0] if identities else None)
            if integer_key is not None:
                order: tuple[str, ...] = (integer_key,)
            else:
                key = await self._rows(
                    "SELECT a.attname FROM pg_index i"
                    " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                    " WHERE i.indrelid = to_regclass($1) AND i.indisprimary"
                    " ORDER BY array_position(i.indkey, a.attnum)",
                    [name],
                )
                order = tuple(str(row[0]) for row in key)
            references = await self._rows(
                "SELECT DISTINCT c.confrelid::regclass::text FROM pg_constraint c"
                " WHERE c.conrelid = to_regclass($1) AND c.contype = 'f'",
                [name],
            )
            tables.append(
                Table(
                    name,
                    columns,
                    kinds,
                    order,
                    integer_key,
                    frozenset(str(row[0]).strip('"') for row in references),
                )
            )
        return tables


@asynccontextmanager
async def snapshot(db: Database) -> AsyncIterator[Snapshot]:
    """Reads of one state of the open database `db`, for as long as this lasts."""
    # Imported here, as fedishare.storage.database does: each backend only when used.
    if db.dialect == SQLITE:
        from fedishare.storage.sqlite import SqliteDatabase

        if not isinstance(db, SqliteDatabase):
            raise TypeError(f"no snapshot for {db.describe}")
        conn = await aiosqlite.connect(db.path, isolation_level=None)
        try:
            await conn.execute("PRAGMA query_only=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("BEGIN")
            # The first read pins the snapshot: every read after it sees the same state.
            await conn.execute_fetchall("SELECT count(*) FROM sqlite_schema")
            try:
                yield Snapshot(SQLITE, conn)
            finally:
                await conn.execute("COMMIT")
        finally:
            await conn.close()
        return
    from fedishare.storage.postgres import PostgresDatabase

    if not isinstance(db, PostgresDatabase):
        raise TypeError(f"no snapshot for {db.describe}")
    async with (
        db.connection() as pg,
        pg.transaction(isolation="repeatable_read", readonly=True),
    ):
        yield Snapshot(POSTGRESQL, pg)


def in_dependency_order(tables: Iterable[Table]) -> list[Table]:
    """`tables` so that each comes after every other one it references (by name otherwise)."""
    by_name = {t.name: t for t in sorted(tables, key=lambda t: t.name)}
    done: list[Table] = []
    placed: set[str] = set()

    def place(name: str, seen: frozenset[str]) -> None:
        if name in placed or name in seen:
            return
        for target in sorted(by_name[name].references):
            if target != name and target in by_name:
                place(target, seen | {name})
        placed.add(name)
        done.append(by_name[name])

    for name in by_name:
        place(name, frozenset())
    return done


async def tables_of(db: Database) -> list[Table]:
    """The tables of the open database `db`, as `Snapshot.tables` gives them."""
    async with snapshot(db) as snap:
        return await snap.tables()


async def counts(db: Database | Transaction, tables: Iterable[Table]) -> dict[str, int]:
    """Rows in each of `tables`, as `db` (or a transaction of it) sees them now."""
    return {
        t.name: int(await db.fetch_value(f"SELECT count(*) FROM {_name(t.name)}")) for t in tables
    }


async def members(db: Database) -> int:
    """Members (person actors) in `db`: a database with any is an instance in use."""
    return int(await db.fetch_value("SELECT count(*) FROM local_actors WHERE kind = 'person'"))


async def clear(tx: Transaction, tables: Sequence[Table]) -> None:
    """Empty `tables` (in dependency order: they are emptied in reverse) and the full-text
    index, before an import: what `serve` makes in a new database (its own actors)."""
    for table in reversed(tables):
        await tx.execute(f"DELETE FROM {_name(table.name)}")
    await tx.execute(_CLEAR_INDEX[tx.dialect])


async def write_rows(
    tx: Transaction, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (values of `columns`, a subset of the table's in any order)."""
    names = ", ".join(_column(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {_name(table.name)} ({names}) VALUES ({marks})"
    if tx.dialect == POSTGRESQL:
        # SQLite keeps a value by its column's affinity, where PostgreSQL's columns take
        # only their own type: the same number, given as the column's kind.
        kinds = [table.kinds[table.columns.index(c)] for c in columns]
        rows = [[_as_kind(v, k) for v, k in zip(row, kinds, strict=True)] for row in rows]
    await tx.executemany(sql, rows)


async def finish_import(tx: Transaction, tables: Sequence[Table]) -> None:
    """Build the full-text index from the listings written; on PostgreSQL, move each
    identity column's sequence on to the largest key written, so new rows get new keys."""
    await tx.execute(_INDEX_LISTINGS)
    if tx.dialect != POSTGRESQL:
        return  # SQLite's next rowid is always one more than the largest there
    for table in tables:
        if table.integer_key is None:
            continue
        key = _column(table.integer_key)
        await tx.fetch_value(
            "SELECT setval(pg_get_serial_sequence(?, ?), greatest(top, 1), top > 0)"
            f" FROM (SELECT coalesce(max({key}), 0) AS top FROM {_name(table.name)}) AS t",
            (_name(table.name), table.integer_key),
        )


async def gather_statistics(db: Database) -> None:
    """After an import into PostgreSQL, its planner's statistics of the tables filled (until
    autovacuum's ANALYZE gets to them, search plans blind: bench/search.py, words by
    relevance over 100,000 listings, p95 451 ms before, 30 ms after). SQLite's search steers
    its planner without statistics, and has none to gather."""
    if db.dialect == POSTGRESQL:
        async with db.transaction() as tx:
            await tx.execute("ANALYZE")


def _as_kind(value: Any, kind: Kind) -> Any:
    if kind == "real" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _sqlite_kind(declared: str) -> Kind:
    """SQLite's affinity for a declared type (https://sqlite.org/datatype3.html, 3.1)."""
    declared = declared.upper()
    if "INT" in declared:
        return "integer"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in declared or not declared:
        return "blob"
    return "real"


def _name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column(name: str) -> str:
    # SQLite's implicit rowid is named bare (a quoted "rowid" would be taken for a column).
    return "rowid" if name == "rowid" else _name(name)
