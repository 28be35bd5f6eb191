"""What every log line carries besides its message: the request or job it belongs to, and
the two line formats (text for people, JSON lines for log collectors).

A request id (one per HTTP request) and a job id (one per inbox item or delivery processed)
live in context variables, so that any code running for that request or job, however deep,
logs with its id without passing it along; `ContextFilter` puts them on each record. Pure:
nothing here opens a handler or touches a stream (fedishare.commands.logging_setup does).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("job_id", default=None)

# An X-Request-Id a proxy sends is kept if it looks like an id (a UUID, a hex string, ...),
# so that the proxy's lines and ours can be matched; anything else gets a fresh id.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# A process's ids: a random prefix, then a count (cheaper than random bytes per request).
_PREFIX = secrets.token_hex(4)
_COUNT = itertools.count(1)


def new_id() -> str:
    """A fresh id: 16 hex digits, short enough to read, unique enough for a log."""
    return f"{_PREFIX}{next(_COUNT) & 0xFFFFFFFF:08x}"


def sane_request_id(given: str | None) -> str:
    """The id a request is logged under: `given` (an X-Request-Id header) if it is one."""
    return given if given is not None and _SANE_ID.match(given) else new_id()


@contextmanager
def job(name: str) -> Iterator[str]:
    """Log the lines inside under a job id, e.g. ``with job(f"delivery-{row_id}")``."""
    token = job_id.set(name)
    try:
        yield name
    finally:
        job_id.reset(token)


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``job_id`` (None when unset) to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.job_id = job_id.get()
        return True


def _iso(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """``2026-12-05T09:05:02.123+00:00 INFO fedishare.x [req=ab12…] message``."""

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(
            f"{key}={value}"
            for key, value in (
                ("request", getattr(record, "request_id", None)),
                ("job", getattr(record, "job_id", None)),
            )
            if value
        )
        line = f"{_iso(record.created)} {record.levelname} {record.name}"
        line += f" [{ids}] " if ids else " "
        line += record.getMessage()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, and
    request_id, job_id and exception when there are any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": _iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "job_id"):
            value = getattr(record, key, None)
            if value:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
