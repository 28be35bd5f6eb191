"""A database locked by another process for too long, then a full disk, met by a real
`fedishare serve`: every write that cannot be stored is refused whole (503 with Retry-After
and a short reason), and once the lock is let go or space returns the same requests
succeed, without a restart.

The disk fills for real as far as SQLite can tell: the instance's `max_database_mb` caps the
database's pages (SQLite's max_page_count), and this test takes every free page up to the cap
with a table of its own, so that a write needing a page more fails with SQLITE_FULL exactly
as on a full disk. Dropping that table is the space coming back.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx

from fedishare.core.types import JSON
from tests.processes import cli, local_site, serving
from tests.signing_peer import SigningPeer
from tests.waiting import eventually

CAP_MB = 1
LONG = "Long-handled loppers, hardly used. " * 125  # 4,375 characters: pages of their own
HTML = "text/html,application/xhtml+xml"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LISTING = {
    "kind": "give",
    "title": "Loppers",
    "description": LONG,
    "place_name": "Oakfield",
    "place_latitude": "51.5012",
    "place_longitude": "-0.1234",
    "visibility": "public",
}
NO_PHOTOS = {f"file_{n}": ("", b"", "application/octet-stream") for n in range(1, 5)}


def _query(database: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(database, timeout=10)) as conn:
        return conn.execute(sql, params).fetchall()


def _counts(database: Path) -> dict[str, object]:
    tables = ("inbox_items", "objects", "statuses", "listings", "outbox_activities")
    return {t: _query(database, f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def _fill(database: Path) -> None:
    """Take every page up to the cap: big rows, then smaller ones for what is left."""
    with closing(sqlite3.connect(database, timeout=10, isolation_level=None)) as conn:
        conn.execute(f"PRAGMA max_page_count={CAP_MB * 256}")
        conn.execute("CREATE TABLE filler (b BLOB)")
        for size in (4000, 1000, 100, 10):
            while True:
                try:
                    conn.execute("INSERT INTO filler VALUES (zeroblob(?))", (size,))
                except sqlite3.OperationalError as exc:
                    assert exc.sqlite_errorcode == sqlite3.SQLITE_FULL, exc
                    break


def _free(database: Path) -> None:
    with closing(sqlite3.connect(database, timeout=10, isolation_level=None)) as conn:
        conn.execute("DROP TABLE filler")


def _refused(r: httpx.Response, retry_after: str, why: str) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == retry_after
    assert why in r.text


async def _log_in(client: httpx.AsyncClient, password: str) -> str:
    """Log alice in through the form, as a browser does; the form token of her session."""
    page = await client.get("/login")
    token = _CSRF.search(page.text)
    assert token is not None
    data = {"csrf_token": token.group(1), "username": "alice", "password": password}
    r = await client.post("/login", data=data)
    assert r.status_code == 303, r.text
    page = await client.get("/listings/new?purpose=offer")
    token = _CSRF.search(page.text)
    assert page.status_code == 200 and token is not None
    return token.group(1)


async def test_a_full_disk_or_a_lock_held_is_refused_whole_and_writes_resume_after(
    tmp_path: Path,
) -> None:
    site, port = await local_site(tmp_path, "oak")
    config = site / "instance.toml"
    config.write_text(
        config.read_text().replace("max_database_mb = 0", f"max_database_mb = {CAP_MB}")
    )
    code, out, err = await cli(site, "account", "create", "alice")
    assert code == 0, err
    fields = dict(line.split(":", 1) for line in out.splitlines() if line.count(":") >= 1)
    password, token = fields["password"].strip(), fields["token"].strip()
    database = site / "fedishare.sqlite3"
    base = f"http://127.0.0.1:{port}"
    alice = f"{base}/users/alice"
    peer = SigningPeer(["bob"])
    await peer.introduce(database)
    note: JSON = peer.note("bob", "1", alice, content=f"<p>{LONG}</p>")
    bearer = {"Authorization": f"Bearer {token}"}

    async with (
        serving(site, port),
        httpx.AsyncClient(base_url=base, timeout=20, headers={"Accept": HTML}) as client,
    ):
        csrf = await _log_in(client, password)

        # Another process holds the write lock past the instance's patience (5 s).
        with closing(sqlite3.connect(database, isolation_level=None)) as other_process:
            other_process.execute("BEGIN IMMEDIATE")
            _refused(await peer.send(client, f"{base}/inbox", note), "5", "locked")
            other_process.execute("ROLLBACK")
        assert _query(database, "SELECT count(*) FROM inbox_items") == [(0,)]

        _fill(database)
        before = _counts(database)

        _refused(await peer.send(client, f"{base}/inbox", note), "60", "disk is full")
        r = await client.post("/api/v1/statuses", json={"status": LONG}, headers=bearer)
        _refused(r, "60", "disk is full")
        r = await client.post(
            "/listings/new?purpose=offer", data={"csrf_token": csrf, **LISTING}, files=NO_PHOTOS
        )
        _refused(r, "60", "disk is full")

        assert _counts(database) == before  # nothing half-written
        assert _query(database, "PRAGMA integrity_check") == [("ok",)]

        _free(database)  # space returns: no restart
        assert (await peer.send(client, f"{base}/inbox", note)).status_code == 202
        r = await client.post("/api/v1/statuses", json={"status": LONG}, headers=bearer)
        assert r.status_code == 200, r.text
        r = await client.post(
            "/listings/new?purpose=offer", data={"csrf_token": csrf, **LISTING}, files=NO_PHOTOS
        )
        assert r.status_code == 303, r.text

        async def processed() -> bool:
            rows = _query(database, "SELECT state FROM inbox_items")
            return rows == [("processed",)]

        await eventually(processed, within=20, every=0.1)
        kept = _query(
            database, "SELECT count(*) FROM objects WHERE id = ?", (note["object"]["id"],)
        )
        assert kept == [(1,)]
        assert _query(database, "SELECT count(*) FROM listings WHERE title = 'Loppers'") == [(1,)]
    assert _query(database, "PRAGMA integrity_check") == [("ok",)]
