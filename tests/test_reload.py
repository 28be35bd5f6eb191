"""SIGHUP reloads instance.toml in a running `serve` and `work`: a changed block list
applies at once, a bad file is refused with its key and the old settings kept, and a
setting read only at start is named as needing a restart."""

from __future__ import annotations

import dataclasses
import signal
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import httpx

from fedishare.core.config import load_config
from fedishare.core.rate_limit import RateLimiter
from fedishare.reload import compare, retune
from tests.processes import local_site, running, serving
from tests.signing_peer import SigningPeer
from tests.waiting import eventually


def _edit(site: Path, old: str, new: str) -> None:
    path = site / "instance.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


async def _logged(site: Path, log: str, text: str, *, after: int = 0) -> str:
    """The log (past its first `after` characters) once it holds `text`."""

    async def found() -> str:
        tail = (site / log).read_text(errors="replace")[after:]
        return tail if text in tail else ""

    return await eventually(found, within=30, every=0.05)


def _hidden(database: Path) -> dict[str, str]:
    """hidden_authors: what searches and public timelines leave out."""
    with closing(sqlite3.connect(database)) as db:
        return dict(db.execute("SELECT author, severity FROM hidden_authors").fetchall())


def _hup(proc: subprocess.Popen[bytes], site: Path, log: str) -> int:
    """Send SIGHUP; the log's length then, to read only what follows."""
    size = len((site / log).read_text(errors="replace"))
    proc.send_signal(signal.SIGHUP)
    return size


async def test_sighup_blocks_a_domain_at_once_and_a_bad_file_keeps_the_old_list(
    tmp_path: Path,
) -> None:
    site, port = await local_site(tmp_path, "oak")
    peer = SigningPeer(["pat"])  # on 127.0.0.1, at another port
    await peer.introduce(site / "fedishare.sqlite3")
    inbox = f"http://127.0.0.1:{port}/inbox"
    alice = f"http://127.0.0.1:{port}/users/alice"

    async with httpx.AsyncClient(timeout=10) as client, serving(site, port) as proc:

        async def post(serial: str) -> int:
            activity = peer.activity("pat", serial, "Follow", alice)
            return (await peer.send(client, inbox, activity)).status_code

        assert await post("1") == 202

        _edit(site, "block = []", 'block = ["127.0.0.1"]')
        _edit(site, 'name = "Our neighbourhood"', 'name = "Oak Street"')
        _edit(site, "requests_per_address_per_5min = 7500", "requests_per_address_per_5min = 2")
        start = _hup(proc, site, "serve.log")
        tail = await _logged(site, "serve.log", "federation.block: added 127.0.0.1", after=start)
        assert await post("2") == 403
        database = site / "fedishare.sqlite3"

        async def hidden() -> bool:  # rebuilt after the new lists apply
            return _hidden(database).get(peer.actor("pat")) == "suspend"

        await eventually(hidden, within=30)
        # The running middleware's limit, for a client its proxy (loopback) names.
        await _logged(site, "serve.log", "requests_per_address_per_5min: 7500 -> 2", after=start)
        proxied = {"X-Forwarded-For": "203.0.113.7"}
        board = f"http://127.0.0.1:{port}/"
        answers = [(await client.get(board, headers=proxied)).status_code for _ in range(3)]
        assert answers == [200, 200, 429]
        # Read only at start: named, and not applied.
        tail = await _logged(site, "serve.log", "community.name", after=start)
        assert "needs a restart" in tail.split("community.name", 1)[1].splitlines()[0]

        _edit(site, 'block = ["127.0.0.1"]', "block = 5")
        start = _hup(proc, site, "serve.log")
        tail = await _logged(site, "serve.log", "not reloaded", after=start)
        assert "[federation] block: expected a list" in tail
        assert await post("3") == 403  # the old list stays
        assert proc.poll() is None

        _edit(site, "block = 5", "block = []")
        start = _hup(proc, site, "serve.log")
        await _logged(site, "serve.log", "federation.block: removed 127.0.0.1", after=start)
        assert await post("4") == 202

        async def shown() -> bool:
            return peer.actor("pat") not in _hidden(database)

        await eventually(shown, within=30)


async def test_sighup_reloads_the_workers_too(tmp_path: Path) -> None:
    site, _ = await local_site(tmp_path, "elm")
    async with running(site, "work", log="work.log") as proc:
        await _logged(site, "work.log", "working for")
        _edit(site, "block = []", 'block = ["spam.example", "junk.example"]')
        start = _hup(proc, site, "work.log")
        await _logged(
            site, "work.log", "federation.block: added spam.example, junk.example", after=start
        )
        _edit(site, 'level = "info"', 'level = "warning"')
        start = _hup(proc, site, "work.log")
        await _logged(site, "work.log", "logging.level: 'info' -> 'warning'", after=start)
        _edit(site, "block = [", "block = 5 #")
        start = _hup(proc, site, "work.log")
        tail = await _logged(site, "work.log", "[federation] block: expected a list", after=start)
        assert "SIGHUP: reading" not in tail  # an INFO line, below the new level
        assert proc.poll() is None


def test_compare_applies_lists_and_limits_and_leaves_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "instance.toml"
    path.write_text(
        "[instance]\ndomain = 'oak.example'\n[federation]\nblock = ['a.example', 'b.example']\n"
    )
    old = load_config(path)
    path.write_text(
        "[instance]\ndomain = 'oak.example'\nlisten = '127.0.0.1:9000'\n"
        "[federation]\nblock = ['b.example', 'c.example']\nallow = []\n"
        "reject_reports = ['d.example']\n"
        "[limits]\napi_requests_per_5min = 100\n"
    )
    changes = compare(old, load_config(path))
    assert changes.lines == (
        "federation.block: added c.example; removed a.example",
        "federation.reject_reports: added d.example",
        "limits.api_requests_per_5min: 300 -> 100",
    )
    assert changes.restart == (
        "instance.listen: '127.0.0.1:8080' -> '127.0.0.1:9000' (needs a restart; not applied)",
    )
    applied = changes.applied
    assert applied.federation.block == ("b.example", "c.example")
    assert applied.limits.api_requests_per_5min == 100
    assert applied.federation.reject_reports == ("d.example",)
    assert applied.instance == old.instance  # the listen address stays until a restart
    assert compare(old, old).lines == compare(old, old).restart == ()


def test_retune_keeps_each_bucket_and_the_period() -> None:
    now = [0.0]
    limiter = RateLimiter(10, clock=lambda: now[0], period=60.0)
    for _ in range(10):
        assert limiter.allow("a") == 0.0
    assert limiter.allow("a") > 0  # empty
    retune(limiter, 20)
    assert limiter.allow("a") > 0  # still empty: a reload hands out no fresh bucket
    now[0] += 3.0  # 20 per minute: one token every 3 s
    assert limiter.allow("a") == 0.0
    for _ in range(20):
        limiter.allow("b")
    assert limiter.allow("b") > 0  # the new size
    retune(limiter, 5)
    assert dataclasses.asdict(limiter.take("c"))["remaining"] == 4
