"""The progress line of long commands: repainted on a terminal, a line per step elsewhere."""

from __future__ import annotations

import io
import logging
from types import SimpleNamespace

import pytest

from fedishare.commands import progress as progress_module
from fedishare.commands.progress import Progress, progress


def test_a_terminal_gets_one_line_repainted_and_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "REPAINT_SECONDS", 0.0)
    out = io.StringIO()
    p = Progress("purging spam.example", out, tty=True)
    p.count(1, 4, "actors")
    p.count(4, 4, "actors")
    p.finish("4 of 4 actors forgotten")
    assert out.getvalue() == (
        "\rpurging spam.example: 1 of 4 actors (25%)\x1b[K"
        "\rpurging spam.example: 4 of 4 actors (100%)\x1b[K"
        "\rpurging spam.example: 4 of 4 actors forgotten\x1b[K\n"
    )


def test_a_fast_loop_is_repainted_at_most_ten_times_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticks = iter(range(10_000))  # each step 1 ms after the one before
    monkeypatch.setattr(
        progress_module, "time", SimpleNamespace(monotonic=lambda: next(ticks) / 1000)
    )
    out = io.StringIO()
    with progress("peer oak.example", out) as p:
        p.tty = True
        for n in range(1, 1001):  # one second's worth
            p.step(f"fetched {n} listings…")
    painted = out.getvalue()
    # The first step at once, about every 100th after it, and the last at the end.
    assert painted.startswith("\rpeer oak.example: fetched 1 listings…\x1b[K\r")
    assert 10 <= painted.count("\r") <= 12
    assert painted.endswith("\rpeer oak.example: fetched 1000 listings…\x1b[K\n")


def test_elsewhere_each_step_is_a_line(caplog: pytest.LogCaptureFixture) -> None:
    out = io.StringIO()
    with caplog.at_level(logging.INFO, logger="fedishare.progress"):
        with progress("backup", out) as p:  # a StringIO is no terminal
            p.count(3, None, "pages")
            p.finish("done")
    assert [r.getMessage() for r in caplog.records] == ["backup: 3 pages…", "backup: done"]
    assert out.getvalue() == ""


def test_without_logging_set_up_the_lines_go_to_the_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress_module.log, "hasHandlers", lambda: False)
    out = io.StringIO()
    Progress("backup", out).step("12 of 40 pages (30%)")
    assert out.getvalue() == "backup: 12 of 40 pages (30%)\n"
