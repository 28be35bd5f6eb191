"""Progress of long command-line work: one repainted line on a terminal, a log line per step.

An operator who runs `fedishare peer add`, `domain purge`, `backup` or `restore` by hand wants to
see that something is happening; the same command run from cron or a systemd unit writes to a
log, where a repainted line is noise and each step should be a line of its own. `Progress` picks
between the two by asking whether its stream is a terminal, so callers only say what happened:

    with progress("backfill") as p:
        for n, page in enumerate(pages, 1):
            p.step(f"fetched {n} listings…")        # or p.count(n, total, "listings")
        p.finish("fetched 120 listings")            # optional: the last line kept on screen

On a terminal each step overwrites the last (at most ten repaints a second, so a fast loop does
not spend its time drawing) and `finish` ends the line. Otherwise each step is logged at INFO on
the `fedishare.progress` logger as "LABEL: TEXT"; when logging has not been set up in this process
(no handler anywhere), the line is written to the stream instead, so it is never lost.

Layers below `commands` must not import this module: they take a plain callback
(`Callable[[int], None]` or similar) and the command passes `p.step`/`p.count` wrapped to it.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

log = logging.getLogger("fedishare.progress")

REPAINT_SECONDS = 0.1
"""The shortest time between two repaints on a terminal; log lines are never throttled."""


class Progress:
    """One piece of long work, reported step by step (see the module docstring)."""

    def __init__(self, label: str, stream: TextIO | None = None, *, tty: bool | None = None):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self._is_tty(self.stream) if tty is None else tty
        self._painted = ""
        self._last_paint = float("-inf")  # the first step is painted at once
        self._pending = ""
        self._finished = False

    @staticmethod
    def _is_tty(stream: TextIO) -> bool:
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    def step(self, text: str) -> None:
        """Report one step: repaint the terminal line, or log a line."""
        if self.tty:
            now = time.monotonic()
            self._pending = text
            if now - self._last_paint >= REPAINT_SECONDS:
                self._paint(text)
                self._last_paint = now
        else:
            self._line(text)

    def count(self, done: int, total: int | None, noun: str) -> None:
        """Report `done` of `total` NOUN (total may be unknown): "12 of 40 listings (30%)"."""
        if total:
            self.step(f"{done} of {total} {noun} ({done * 100 // total}%)")
        else:
            self.step(f"{done} {noun}…")

    def finish(self, text: str | None = None) -> None:
        """End the work: keep `text` (or the last step) on screen; log `text` if given."""
        if self._finished:
            return
        self._finished = True
        if self.tty:
            final = text if text is not None else self._pending
            if final or self._painted:
                self._paint(final)
                self.stream.write("\n")
                self.stream.flush()
        elif text is not None:
            self._line(text)

    def _paint(self, text: str) -> None:
        line = f"{self.label}: {text}" if text else ""
        # \r back to the start, then clear to the end of the line: a shorter line leaves no tail.
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()
        self._painted = line

    def _line(self, text: str) -> None:
        if log.hasHandlers():  # this logger's or an ancestor's, the root's included
            log.info("%s: %s", self.label, text)
        else:
            print(f"{self.label}: {text}", file=self.stream, flush=True)


@contextmanager
def progress(label: str, stream: TextIO | None = None) -> Iterator[Progress]:
    """A `Progress` that is finished on the way out, so a terminal line is always ended."""
    p = Progress(label, stream)
    try:
        yield p
    finally:
        p.finish()
