"""A supervised background task: each failure logged with its traceback, the task started
again after a pause that grows, and ended only by returning, `stop` or cancellation."""

from __future__ import annotations

import asyncio
import logging

import pytest

from fedishare.core import supervision
from fedishare.core.supervision import supervise


async def test_a_failing_task_is_logged_and_started_again(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.ERROR, logger=supervision.__name__)
    pauses: list[float] = []

    async def recorded_pause(stop: asyncio.Event, seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(supervision, "pause", recorded_pause)
    runs = 0

    async def task() -> None:
        nonlocal runs
        runs += 1
        if runs <= 3:
            raise RuntimeError(f"failure {runs}")

    await supervise("the task", task, asyncio.Event(), first_pause=0.5, max_pause=1.5)
    assert runs == 4
    assert pauses == [0.5, 1.0, 1.5]  # doubled, up to the most
    assert [r.getMessage() for r in caplog.records] == [
        "the task failed; starting it again in 0.5 s",
        "the task failed; starting it again in 1 s",
        "the task failed; starting it again in 1.5 s",
    ]
    assert [str(r.exc_info[1]) for r in caplog.records if r.exc_info] == [
        "failure 1",
        "failure 2",
        "failure 3",
    ]


async def test_stop_ends_the_pause_and_the_task_is_not_started_again() -> None:
    stop = asyncio.Event()
    runs = 0

    async def task() -> None:
        nonlocal runs
        runs += 1
        stop.set()
        raise RuntimeError("failing as it is told to stop")

    await asyncio.wait_for(supervise("the task", task, stop, first_pause=3600), 5)
    assert runs == 1


async def test_cancelling_ends_it_without_a_failure_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger=supervision.__name__)
    started = asyncio.Event()

    async def task() -> None:
        started.set()
        await asyncio.Event().wait()

    supervised = asyncio.create_task(supervise("the task", task, asyncio.Event()))
    await started.wait()
    supervised.cancel()
    with pytest.raises(asyncio.CancelledError):
        await supervised
    assert caplog.records == []
