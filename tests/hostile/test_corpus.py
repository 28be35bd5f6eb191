"""The hostile-request corpus (`tests/hostile/*.jsonl`, described in `corpus.py`) against one
real `fedishare serve`: every case is answered its documented status and reason, none 5xx,
and the database is what it was before, table by table and row by row (read through a
read-only connection once the inbox worker has nothing left to do). Then the corpus again,
20 times over with 64 requests in flight: the same answers, still no 5xx, and still the same
database.
Requests are sent with aiohttp: the corpus goes out thousands of times, and httpx's client
costs several times as much CPU per request as the server takes to answer it.

The signing peer serves eve's and mallory's actors and keys on loopback; a second one, on
another port (another host), serves mallory too and must never be asked for anything: a
keyId or object id there is refused before any fetch. Accepted cases (`setup`: an activity
from each signer, so that their actors are cached before the first dump, and an activity of
a type we do not act on) run before the first dump; `replay` cases, answered 202, run in the
corpus itself, since a replay must change nothing.
"""

from __future__ import annotations

import asyncio
import difflib
import socket
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from tests.asgi_server import serving_app
from tests.hostile.corpus import Request, Target, build, load_cases, mismatch, send
from tests.mastodon_peer import MastodonPeer, rsa_key
from tests.processes import free_port, run_cli, serving
from tests.waiting import eventually

ROUNDS = 20
IN_FLIGHT = 64
MAX_BODY_BYTES = 200_000  # the corpus's bodies "over the limit" are just over this


def _listening() -> tuple[socket.socket, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock, f"127.0.0.1:{sock.getsockname()[1]}"


# When a cached actor was last fetched: a signature that fails more than a minute after its
# key was fetched has the key fetched again (remote/actors.KEY_REFETCH_SECONDS: a rotation),
# which notes the time and nothing else. Whether the corpus runs within that minute of its
# setup depends on how busy the machine is, so the time is left out of the comparison; the
# document fetched, and whether anything was fetched from where it must not be, are not.
_VOLATILE = {("remote_actors", "fetched_at")}


def _dump(database: Path) -> str:
    """Every table's schema and rows, sorted, but for the _VOLATILE columns."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        lines = []
        tables = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
        for table, sql in tables:
            lines.append(sql)
            columns = [
                row[1]
                for row in conn.execute(f'PRAGMA table_info("{table}")')
                if (table, row[1]) not in _VOLATILE
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            order = ", ".join(str(n) for n in range(1, len(columns) + 1))
            for row in conn.execute(f'SELECT {listed} FROM "{table}" ORDER BY {order}'):
                lines.append(f"{table}: {row!r}")
        return "\n".join(lines)
    finally:
        conn.close()


def _waiting(database: Path) -> int:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        (count,) = conn.execute(
            "SELECT count(*) FROM inbox_items WHERE state = 'received'"
        ).fetchone()
        return int(count)
    finally:
        conn.close()


async def _drained(database: Path) -> None:
    async def nothing_waits() -> bool:
        return _waiting(database) == 0

    await eventually(nothing_waits, within=30, every=0.05)


def _site(tmp_path: Path, port: int) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    init = run_cli(site, "init", "--domain", f"127.0.0.1:{port}", "--http")
    assert init.returncode == 0, init.stderr
    config = site / "instance.toml"
    text = config.read_text()
    for old, new in [
        ("block = []", 'block = ["blocked.example"]'),
        ("max_body_bytes = 1048576", f"max_body_bytes = {MAX_BODY_BYTES}"),
        # Every case is signed by one host: 21 runs of the corpus must not be slowed down.
        ("inbox_requests_per_minute = 600", "inbox_requests_per_minute = 1000000"),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text)
    created = run_cli(site, "account", "create", "alice")
    assert created.returncode == 0, created.stderr
    return site


def _assert_same(before: str, after: str) -> None:
    assert after == before, "\n".join(
        difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    )


async def test_the_hostile_corpus_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    cases = load_cases()
    assert len(cases) >= 200
    setup = [c for c in cases if c.get("setup")]
    corpus = [c for c in cases if not c.get("setup")]
    assert all(c["status"] == 202 for c in setup)
    assert all(400 <= c["status"] < 500 or c.get("replay") for c in corpus)

    port = free_port()
    site = _site(tmp_path, port)
    database = site / "fedishare.sqlite3"
    peer_sock, peer_host = _listening()
    elsewhere_sock, elsewhere_host = _listening()
    peer, elsewhere = MastodonPeer(peer_host), MastodonPeer(elsewhere_host)
    peer.add("eve", rsa_key(0))
    peer.add("mallory", rsa_key(1))
    elsewhere.add("eve", rsa_key(2))
    elsewhere.add("mallory", rsa_key(1))
    target = Target(f"http://127.0.0.1:{port}", peer, elsewhere)

    async with (
        serving_app(peer.app, peer_sock),
        serving_app(elsewhere.app, elsewhere_sock),
        serving(site, port),
        aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=60),
            # Idle connections are dropped well before the server's 5 s keep-alive ends:
            # otherwise a request can go out on one the server is closing at that moment.
            connector=aiohttp.TCPConnector(keepalive_timeout=1.0),
        ) as client,
    ):
        for case in setup:
            response = await send(client, case, target, datetime.now(UTC))
            assert mismatch(case, response) is None, mismatch(case, response)
        await _drained(database)
        before = _dump(database)

        wrong = []
        for case in corpus:
            response = await send(client, case, target, datetime.now(UTC))
            problem = mismatch(case, response)
            if problem is not None:
                wrong.append(problem)
        assert wrong == [], "\n".join(wrong)
        await _drained(database)
        _assert_same(before, _dump(database))
        assert elsewhere.fetched == []

        # The storm: each case signed once (signing is the client's cost, not the server's)
        # and sent ROUNDS times, IN_FLIGHT at once.
        now = datetime.now(UTC)
        built = [(case, build(case, target, now)) for case in corpus]
        limit = asyncio.Semaphore(IN_FLIGHT)

        async def one(case: dict[str, Any], request: Request) -> str | None:
            async with limit:
                response = await send(client, case, target, now, request)
            return mismatch(case, response)

        answers = await asyncio.gather(*(one(c, r) for _ in range(ROUNDS) for c, r in built))

        assert [a for a in answers if a is not None] == []
        await _drained(database)
        _assert_same(before, _dump(database))
        assert elsewhere.fetched == []
