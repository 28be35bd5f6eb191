"""`fedishare export PATH` and `fedishare import PATH`: an instance moved from one database to
another, SQLite or PostgreSQL in either direction, with nothing lost.

The export is one gzip'd file of JSON lines:

- a header: ``{"fedishare_export": 1, "fedishare": VERSION, "schema": N, "source":
  "sqlite"|"postgresql", "exported_at": ISO, "tables": [{"name", "columns", "rows"}...]}``,
  every table moved, each after those it references (fedishare.storage.transfer);
- per table a line ``{"table": NAME}``, then each row as a JSON array of its values in the
  header's column order: text, integers, floats (written as Python's repr, read back the
  same), null; bytes as ``{"base64": ...}``;
- a trailer, ``{"end": {"rows": {NAME: COUNT...}}}``: a file without it was cut short.

All of it is read from one snapshot (an instance that goes on serving meanwhile exports one
state of itself), written beside PATH and renamed into place once complete.

An import refuses a database with members or any other data (what `serve` makes in a new
database for itself, OWN_TABLES, is replaced), and a file of another schema version than
this fedishare's. It writes everything in one transaction: a failure, or a row count
that differs from the file's at the end, leaves the database as it was.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from fedishare import __version__
from fedishare.commands.errors import CommandError
from fedishare.commands.progress import Progress
from fedishare.commands.serving_lock import nobody_serving
from fedishare.core.config import Config
from fedishare.storage.database import Database, database_for, sqlite_path, target_for
from fedishare.storage.migrations import MIGRATIONS
from fedishare.storage.transfer import (
    Table,
    clear,
    counts,
    finish_import,
    gather_statistics,
    members,
    snapshot,
    tables_of,
    write_rows,
)

FORMAT = 1  # the file's layout (the header's "fedishare_export")
BATCH_ROWS = 1000  # rows read, and written, at a time
# What a new instance holds before anyone uses it, which an import replaces: its own actors
# (members are counted apart), the first admin's invite (`serve` prints it) and the marks
# of fedishare.storage.hidden_authors.
OWN_TABLES = ("local_actors", "invites", "hidden_authors_seen")
MEDIA_NOTE = (
    "Photos are not in the database (it holds their paths): copy the [instance] media "
    "directory beside it."
)


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    export = sub.add_parser(
        "export",
        parents=[common],
        help="write the whole database to PATH, to import on SQLite or PostgreSQL",
        description="Write every table of the database ([database] url) to PATH, one gzip'd "
        "file of JSON lines, as the database was when the export began: the instance may go "
        "on serving meanwhile. `fedishare import PATH` reads it into another database, of "
        "either kind. " + MEDIA_NOTE,
    )
    export.add_argument("path", metavar="PATH", type=Path, help="the file to write")
    export.add_argument("--force", action="store_true", help="replace PATH if it exists")
    imp = sub.add_parser(
        "import",
        parents=[common],
        help="fill a new database with what `fedishare export` wrote",
        description="Read the export PATH into the database of [database] url, which must be "
        "new (no members, no listings): everything in one transaction, then the rows of each "
        "table counted against the file's. Run it with `serve` and `work` stopped, and "
        "with the fedishare that made the export (the same schema). " + MEDIA_NOTE,
    )
    imp.add_argument("path", metavar="PATH", type=Path, help="the file to read")


def run(config: Config, args: argparse.Namespace) -> int:
    if args.command == "export":
        return export(config.database_url, args.path, force=args.force)
    return import_(config.database_url, args.path)


# -- export --------------------------------------------------------------------------------


def export(url: str, path: Path, *, force: bool = False) -> int:
    """Write the database at `url` to `path`; print the rows of each table."""
    started = time.monotonic()
    if path.exists() and not force:
        raise CommandError(f"{path} exists (--force replaces it)")
    source = sqlite_path(target_for(url))
    if source is not None and not source.is_file():
        raise CommandError(f"{source}: no such database")
    partial = path.with_name(path.name + ".partial")
    try:
        with gzip.open(partial, "wt", encoding="utf-8", compresslevel=6) as out:
            described, written = asyncio.run(_export(url, out))
            out.flush()
            os.fsync(out.fileno())
    except BaseException as e:
        partial.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise CommandError(f"export to {path} — {e}") from None
        raise
    os.replace(partial, path)
    _print_counts(["table", "rows"], [(name, [n]) for name, n in written.items()])
    print(
        f"exported {sum(written.values())} rows of {len(written)} tables from {described} "
        f"to {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - started:.1f} s"
    )
    print(MEDIA_NOTE, file=sys.stderr)
    return 0


async def _export(url: str, out: IO[str]) -> tuple[str, dict[str, int]]:
    db = database_for(url, pool_size=2)
    await db.open(migrate=False)  # refuses an out-of-date schema: migrate it first
    try:
        return db.describe, await _export_to(db, await db.schema_version(), out)
    finally:
        await db.close()


async def _export_to(db: Database, version: int, out: IO[str]) -> dict[str, int]:
    async with snapshot(db) as snap:
        tables = await snap.tables()
        expected = {t.name: await snap.count(t) for t in tables}
        header = {
            "fedishare_export": FORMAT,
            "fedishare": __version__,
            "schema": version,
            "source": db.dialect,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "tables": [
                {"name": t.name, "columns": list(t.columns), "rows": expected[t.name]}
                for t in tables
            ],
        }
        _line(out, header)
        report = _Report("export", sum(expected.values()))
        written: dict[str, int] = {}
        for table in tables:
            _line(out, {"table": table.name})
            written[table.name] = 0
            async for batch in snap.batches(table, BATCH_ROWS):
                for row in batch:
                    _line(out, [_encode(v) for v in row])
                written[table.name] += len(batch)
                report.add(len(batch), table.name)
        report.finish()
    if written != expected:  # one snapshot: cannot happen unless the database is damaged
        raise CommandError(f"rows read differ from the rows counted: {written} != {expected}")
    _line(out, {"end": {"rows": written}})
    return written


def _line(out: IO[str], value: Any) -> None:
    out.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    out.write("\n")


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        return base64.b64decode(value["base64"])
    return value


# -- import --------------------------------------------------------------------------------


class _Refused(Exception):
    """The counts differ: the import's transaction is rolled back."""


def import_(url: str, path: Path) -> int:
    """Read the export at `path` into the new database at `url`; print the counts."""
    started = time.monotonic()
    with ExitStack() as stack:
        lines = stack.enter_context(_Lines(path))
        header = _header(path, next(iter(lines), None))
        target = sqlite_path(target_for(url))
        if target is not None:
            stack.enter_context(nobody_serving(target))
        described, read, after = asyncio.run(_import(url, lines, header))
    _print_counts(*_comparison(read, after))
    differ = [name for name, n in read.items() if after[name] != n]
    if differ:
        raise CommandError(f"the row counts differ after the import: {', '.join(differ)}")
    print(
        f"imported {sum(read.values())} rows of {len(read)} tables from {path} "
        f"({header['source']}, schema {header['schema']}) into {described} "
        f"in {time.monotonic() - started:.1f} s"
    )
    print(MEDIA_NOTE, file=sys.stderr)
    return 0


async def _import(
    url: str, lines: _Lines, header: dict[str, Any]
) -> tuple[str, dict[str, int], dict[str, int]]:
    """Write the file's rows in one transaction; return the rows read of each table, and
    those in the database once committed."""
    db = database_for(url, pool_size=2)
    await db.open(migrate=False)  # makes the schema in a new database
    try:
        tables = {t.name: t for t in await tables_of(db)}
        await _check_empty(db, list(tables.values()))
        files = _check_tables(header, tables)
        read: dict[str, int] = {}
        stored: dict[str, int] = {}
        try:
            async with db.transaction() as tx:
                await clear(tx, list(tables.values()))
                read = await _import_rows(tx, lines, files, tables, header)
                await finish_import(tx, list(tables.values()))
                stored = await counts(tx, tables.values())
                if any(stored[name] != n for name, n in read.items()):
                    raise _Refused
        except _Refused:
            _print_counts(*_comparison(read, stored))
            raise CommandError(
                "the database's row counts differ from the file's; nothing was imported"
            ) from None
        except CommandError:
            raise
        except Exception as e:  # either backend's own error: said, and rolled back
            raise CommandError(
                f"{lines.path}: the database refused it ({type(e).__name__}: {e}); "
                "nothing was imported"
            ) from e
        await gather_statistics(db)
        return db.describe, read, await counts(db, tables.values())
    finally:
        await db.close()


class _Lines:
    """The export's lines, each as the JSON value it holds, in one pass; a file that cannot
    be read to its end is a CommandError."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._file: IO[str] = gzip.open(path, "rt", encoding="utf-8")
        except OSError as e:
            raise CommandError(f"{path}: {e.strerror or e}") from None
        self._values = self._read()

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def __iter__(self) -> Iterator[Any]:
        return self._values

    def _read(self) -> Iterator[Any]:
        number = 1
        try:
            for line in self._file:
                yield json.loads(line)
                number += 1
        except (OSError, EOFError, UnicodeDecodeError, ValueError) as e:
            raise CommandError(
                f"{self.path}: not a whole fedishare export (line {number}: {e})"
            ) from None


def _header(path: Path, header: Any) -> dict[str, Any]:
    if not isinstance(header, dict) or header.get("fedishare_export") != FORMAT:
        raise CommandError(f"{path}: not a fedishare export")
    newest = len(MIGRATIONS)
    if header.get("schema") != newest:
        raise CommandError(
            f"{path} was exported at schema {header.get('schema')} (fedishare "
            f"{header.get('fedishare')}), this fedishare's is {newest}: import it with the "
            "fedishare that exported it"
        )
    return header


async def _check_empty(db: Database, tables: Sequence[Table]) -> None:
    """Refuse a database that holds anything but what a new instance makes for itself."""
    found = {name: n for name, n in (await counts(db, tables)).items() if n}
    for name in OWN_TABLES:
        found.pop(name, None)
    people = await members(db)
    what = [f"{people} members"] if people else []
    if found.get("listings"):
        what.append(f"{found.pop('listings')} listings")
    if found:
        names = sorted(found)
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        what.append(f"rows in {', '.join(names[:3])}{more}")
    if what:
        raise CommandError(
            f"{db.describe} already has data ({'; '.join(what)}): import only into a new database"
        )


def _check_tables(header: dict[str, Any], tables: dict[str, Table]) -> dict[str, list[str]]:
    """The file's tables and their columns, checked against the database's."""
    files: dict[str, list[str]] = {}
    for entry in header["tables"]:
        name, columns = entry["name"], list(entry["columns"])
        table = tables.get(name)
        if table is None:
            raise CommandError(f"the file has a table {name} this database does not")
        if sorted(columns) != sorted(table.columns):
            raise CommandError(
                f"{name}: the file's columns ({', '.join(columns)}) are not the database's "
                f"({', '.join(table.columns)})"
            )
        files[name] = columns
    return files


async def _import_rows(
    tx: Any,
    lines: _Lines,
    files: dict[str, list[str]],
    tables: dict[str, Table],
    header: dict[str, Any],
) -> dict[str, int]:
    """Write every row of the file; return how many of each table (checked against the
    file's own counts)."""
    expected = {entry["name"]: int(entry["rows"]) for entry in header["tables"]}
    report = _Report("import", sum(expected.values()))
    read: dict[str, int] = {}
    table: Table | None = None
    batch: list[list[Any]] = []

    async def flush() -> None:
        if table is not None and batch:
            await write_rows(tx, table, files[table.name], batch)
            read[table.name] += len(batch)
            report.add(len(batch), table.name)
            batch.clear()

    for value in lines:
        if isinstance(value, list):
            if table is None or len(value) != len(files[table.name]):
                raise CommandError(f"{lines.path}: a row out of place ({value!r:.80})")
            batch.append([_decode(v) for v in value])
            if len(batch) >= BATCH_ROWS:
                await flush()
        elif isinstance(value, dict) and "table" in value:
            await flush()
            name = value["table"]
            if name not in files or name in read:
                raise CommandError(f"{lines.path}: unexpected table {name!r}")
            table, read[name] = tables[name], 0
        elif isinstance(value, dict) and "end" in value:
            await flush()
            report.finish()
            if value["end"].get("rows") != read or read != expected:
                raise CommandError(
                    f"{lines.path}: its rows do not add up to its own counts (damaged?)"
                )
            return read
        else:
            raise CommandError(f"{lines.path}: an unknown line ({value!r:.80})")
    raise CommandError(f"{lines.path}: cut short (no end line): not a whole export")


def _comparison(
    read: dict[str, int], stored: dict[str, int]
) -> tuple[list[str], list[tuple[str, list[int | str]]]]:
    """The file's tables, with the rows read of each and the rows the database holds."""
    rows: list[tuple[str, list[int | str]]] = []
    for name, source in read.items():
        target = stored.get(name, "-")
        rows.append((name, [source, target, "" if source == target else "DIFFERS"]))
    return ["table", "in file", "in database", ""], rows


def _print_counts(titles: list[str], rows: Sequence[tuple[str, Sequence[int | str]]]) -> None:
    """A table of counts, one table a line, and the sums of the columns of counts."""
    width = max([len(titles[0]), len("all tables"), *(len(name) for name, _ in rows)])
    widths = [max(len(t), 8) for t in titles[1:]]

    def line(name: str, cells: Sequence[object]) -> None:
        text = " ".join(str(c).rjust(w) for c, w in zip(cells, widths, strict=True))
        print(f"{name.ljust(width)} {text}".rstrip())

    line(titles[0], titles[1:])
    for name, values in rows:
        line(name, values)
    sums: list[object] = []
    for i in range(len(widths)):
        numbers = [values[i] for _, values in rows if isinstance(values[i], int)]
        sums.append(sum(int(n) for n in numbers) if numbers else "")
    line("all tables", sums)


class _Report:
    """Rows done of all: repainted on a terminal, else a line per tenth of the way."""

    def __init__(self, label: str, total: int) -> None:
        self._progress = Progress(label)
        self._total = total
        self._done = 0
        self._next_tenth = 1

    def add(self, rows: int, table: str) -> None:
        self._done += rows
        if not self._total:
            return
        tenth = self._done * 10 // self._total
        if not self._progress.tty and tenth < self._next_tenth:
            return
        self._next_tenth = tenth + 1
        percent = self._done * 100 // self._total
        self._progress.step(f"{self._done} of {self._total} rows ({percent}%), {table}")

    def finish(self) -> None:
        self._progress.finish(f"{self._done} of {self._total} rows")
