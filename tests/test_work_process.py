"""`fedishare serve --no-workers` beside `fedishare work`: the web server and the background
workers in two processes on one database, federating as one instance."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.processes import cli, local_site, running, serving
from tests.waiting import eventually


async def test_workers_in_their_own_process_deliver_and_process(tmp_path: Path) -> None:
    oak, oak_port = await local_site(tmp_path, "oak")
    elm, elm_port = await local_site(tmp_path, "elm")
    assert (await cli(oak, "account", "create", "alice"))[0] == 0
    assert (await cli(elm, "account", "create", "bob"))[0] == 0
    alice = f"http://127.0.0.1:{oak_port}/users/alice"

    async with serving(oak, oak_port), serving(elm, elm_port, args=("--no-workers",)):
        code, _, err = await cli(elm, "follow", alice, "--as", "bob")
        assert code == 0, err
        await asyncio.sleep(2)  # elm's web server alone never delivers the Follow
        assert (await cli(elm, "following", "--as", "bob"))[1] == f"{alice}\tpending\n"

        async with running(elm, "work", log="work.log") as worker:
            # Its worker delivers the Follow; oak's Accept is stored by elm's web server
            # and processed by the worker.
            async def accepted() -> bool:
                out = (await cli(elm, "following", "--as", "bob"))[1]
                return out == f"{alice}\taccepted\n"

            await eventually(accepted, within=30, every=0.5)
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=15) == 0
    log = (elm / "work.log").read_text()
    assert "working for" in log and "workers stopped" in log
