"""The workers' runner: a worker that fails is logged and runs again; stopping ends it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from fedishare.context import Instance
from fedishare.core import supervision
from fedishare.workers.runner import running
from tests.harness import Node
from tests.waiting import eventually


async def test_a_worker_that_fails_is_logged_and_started_again(
    node: Node, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervision, "FIRST_PAUSE_SECONDS", 0.01)
    caplog.set_level(logging.ERROR, logger=supervision.__name__)
    runs: list[str] = []
    stopped = asyncio.Event()

    async def flaky_worker(inst: Instance, stop: asyncio.Event) -> None:
        runs.append("run")
        if len(runs) == 1:
            raise OSError("database or disk is full")
        await stop.wait()
        stopped.set()

    async def started_again() -> bool:
        return len(runs) == 2

    async with running(node.instance, [flaky_worker]):
        await eventually(started_again, within=10, every=0.01)
    assert stopped.is_set()
    assert runs == ["run", "run"]
    [failure] = caplog.records
    assert failure.getMessage().startswith("test_a_worker_that_fails_is_logged_and_started_again")
    assert failure.exc_info is not None and str(failure.exc_info[1]) == "database or disk is full"
