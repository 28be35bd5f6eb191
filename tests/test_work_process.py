"""`fedishare serve --no-workers` beside `fedishare work`: the web server and the background
workers in two processes on one database, federating as one instance.

That the web process delivers nothing is shown without waiting for a while: the Follow is
queued before it starts, so a delivery worker would claim it (counting an attempt and
leasing the row, before any POST) on its first pass. That pass is started in the
lifespan, before the server listens, and its first step is a read on the database's
reader connection, which answers in order; a NodeInfo request's counts queue on that
connection behind it, and the claim follows the read without yielding. So once NodeInfo
has answered, a worker would have claimed the row. The second test is the control: with
its workers, the same web process has claimed it by then.
"""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import NamedTuple

import httpx

from fedishare.commands.serving_lock import nobody_serving
from tests.processes import cli, local_site, running, serving
from tests.waiting import eventually


class Delivery(NamedTuple):
    inbox: str
    state: str
    attempts: int
    next_try: float  # a claim moves it to the end of its lease


class Sites(NamedTuple):
    elm: Path
    elm_port: int
    alice: str


def deliveries(site: Path) -> list[Delivery]:
    with closing(sqlite3.connect(site / "fedishare.sqlite3")) as conn:
        rows = conn.execute("SELECT inbox, state, attempts, next_try FROM deliveries ORDER BY id")
        return [Delivery(*row) for row in rows]


@asynccontextmanager
async def follow_queued(tmp_path: Path) -> AsyncIterator[Sites]:
    """oak serving (all its workers running) with alice on it; elm, not running, with bob,
    who has asked to follow alice: one delivery queued, due at once, never attempted."""
    oak, oak_port = await local_site(tmp_path, "oak")
    elm, elm_port = await local_site(tmp_path, "elm")
    assert (await cli(oak, "account", "create", "alice"))[0] == 0
    assert (await cli(elm, "account", "create", "bob"))[0] == 0
    alice = f"http://127.0.0.1:{oak_port}/users/alice"
    async with serving(oak, oak_port):
        code, _, err = await cli(elm, "follow", alice, "--as", "bob")
        assert code == 0, err
        [queued] = deliveries(elm)
        assert queued.inbox.startswith(f"http://127.0.0.1:{oak_port}/")
        assert (queued.state, queued.attempts) == ("pending", 0)
        yield Sites(elm, elm_port, alice)


async def answer_nodeinfo(port: int) -> None:
    """A round trip through the web process whose database reads queue behind those its
    workers (if any) started at start-up."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.get(f"http://127.0.0.1:{port}/nodeinfo/2.1")
    assert response.status_code == 200
    assert response.json()["usage"]["users"]["total"] == 1


async def test_workers_in_their_own_process_deliver_and_process(tmp_path: Path) -> None:
    async with follow_queued(tmp_path) as sites:
        elm, alice = sites.elm, sites.alice
        [queued] = deliveries(elm)
        async with serving(elm, sites.elm_port, args=("--no-workers",)):
            await answer_nodeinfo(sites.elm_port)
            # Not claimed: no attempt counted, no lease taken, nothing sent.
            assert deliveries(elm) == [queued]
            assert (await cli(elm, "following", "--as", "bob"))[1] == f"{alice}\tpending\n"

            async with running(elm, "work", log="work.log") as worker:
                # Its worker delivers the Follow; oak's Accept is stored by elm's web
                # server and processed by the worker.
                async def accepted() -> bool:
                    out = (await cli(elm, "following", "--as", "bob"))[1]
                    return out == f"{alice}\taccepted\n"

                await eventually(accepted, within=30, every=0.5)

                # Its one attempt, recorded in the turn after it (Accept may come first).
                async def delivered() -> bool:
                    [row] = deliveries(elm)
                    return (row.state, row.attempts) == ("delivered", 1)

                await eventually(delivered, within=10, every=0.1)
                worker.send_signal(signal.SIGTERM)
                assert worker.wait(timeout=15) == 0
    log = (elm / "work.log").read_text()
    assert "working for" in log and "workers stopped" in log


async def test_a_web_process_with_workers_has_claimed_it_by_then(tmp_path: Path) -> None:
    async with follow_queued(tmp_path) as sites:
        [queued] = deliveries(sites.elm)
        async with serving(sites.elm, sites.elm_port):
            await answer_nodeinfo(sites.elm_port)
            [claimed] = deliveries(sites.elm)
            assert claimed.attempts == 1
            assert claimed.next_try > queued.next_try  # leased
            assert claimed.state in ("pending", "delivered")


async def test_work_and_restore_refuse_each_other(tmp_path: Path) -> None:
    site, _ = await local_site(tmp_path, "oak")
    database = site / "fedishare.sqlite3"
    with nobody_serving(database):  # what `fedishare restore` holds while it replaces the file
        code, _, err = await cli(site, "work")
    assert code == 1
    assert f"fedishare: {database} — a `fedishare restore` is replacing it" in err

    copy = tmp_path / "copy.sqlite3"
    assert (await cli(site, "account", "create", "alice"))[0] == 0  # the database made
    assert (await cli(site, "backup", str(copy)))[0] == 0
    async with running(site, "work", log="work.log"):

        async def working() -> bool:
            log = site / "work.log"
            return log.exists() and "working for" in log.read_text()

        await eventually(working, within=30)
        code, _, err = await cli(site, "restore", str(copy))
    assert code == 1 and f"fedishare: {database} — an instance is serving it" in err
