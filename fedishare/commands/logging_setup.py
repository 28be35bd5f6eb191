"""Where and how every `fedishare` process logs: one handler on stderr, in instance.toml's
[logging] level and format, with each line's request or job id (fedishare.core.log_context).

The libraries' own loggers are quietened: httpx and aiohttp would log every outgoing
request, uvicorn every incoming one (its access log is opt-in: [logging] access, or
`serve --access-log`). uvicorn's other lines (start, stop, errors) go through the same
handler, so they carry times too.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from fedishare.core.config import LoggingSettings
from fedishare.core.log_context import ContextFilter, JsonFormatter, TextFormatter

# Libraries whose INFO lines are one per request: kept to warnings and errors.
_CHATTY = ("httpx", "httpcore", "aiohttp.access", "aiohttp.client", "hpack")
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")


def setup_logging(
    settings: LoggingSettings, *, access: bool = False, stream: TextIO | None = None
) -> logging.Handler:
    """Send every log line to `stream` (stderr) in the configured format and level, once:
    called again (a reload), the handler is replaced, not doubled. `access`: log each HTTP
    request too (besides [logging] access)."""
    handler: logging.StreamHandler[TextIO] = (
        logging.StreamHandler(stream) if stream is not None else _Stderr()
    )
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.set_name("fedishare")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "fedishare"]:
        root.removeHandler(old)
    root.addHandler(handler)
    set_level(settings.level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _UVICORN:
        # uvicorn's own handlers would print the same line a second time, without a time.
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = not (access or settings.access)
    return handler


class _Stderr(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is when a line is written (as logging's last resort
    does), not the one it was made with: commands run in tests swap it."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def set_level(level: str) -> None:
    """The level of fedishare's lines and uvicorn's ("info", "debug", ...)."""
    logging.getLogger().setLevel(level.upper())
