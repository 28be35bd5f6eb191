"""What the operator reads: every line with its time, level and source, the request or job
it belongs to, in text or JSON lines; federation events told once each.

(The JSON lines of a real `serve` are checked in tests/test_health_metrics.py, on the same
server that is scraped there.)
"""

from __future__ import annotations

import io
import json
import logging
import re
import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from fedishare.commands.logging_setup import setup_logging
from fedishare.core.config import ConfigError, LoggingSettings, default_config_text
from fedishare.core.log_context import job, request_id
from fedishare.core.types import utc_now
from fedishare.remote.actors import KEY_REFETCH_SECONDS, resolve_key
from fedishare.storage.heartbeat import STALE_SECONDS, seconds_since_beat
from fedishare.storage.queue_stats import StrugglingHost
from fedishare.workers.host_watch import report
from tests.harness import Network, make_config
from tests.mastodon_peer import MastodonPeer, rsa_key
from tests.processes import free_port, running
from tests.waiting import eventually

TEXT_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+ "
)


@pytest.fixture
def root_logging() -> Iterator[None]:
    """setup_logging changes the process's loggers: put them back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    access = logging.getLogger("uvicorn.access")
    saved = access.disabled, access.propagate, list(access.handlers)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    access.disabled, access.propagate, access.handlers[:] = saved[0], saved[1], saved[2]


def test_text_lines_have_time_level_source_and_the_request_id(root_logging: None) -> None:
    out = io.StringIO()
    setup_logging(LoggingSettings(level="info", format="text"), stream=out)
    setup_logging(LoggingSettings(level="info", format="text"), stream=out)  # not doubled
    token = request_id.set("r-1")
    try:
        logging.getLogger("fedishare.test").info("hello %s", "there")
    finally:
        request_id.reset(token)
    with job("delivery-7"):
        logging.getLogger("fedishare.test").warning("trying")
    logging.getLogger("fedishare.test").debug("not at info")
    logging.getLogger("httpx").info("an outgoing request")  # quietened
    first, second = out.getvalue().splitlines()
    assert TEXT_LINE.match(first) and first.endswith(
        " INFO fedishare.test [request=r-1] hello there"
    )
    assert TEXT_LINE.match(second) and second.endswith(
        "WARNING fedishare.test [job=delivery-7] trying"
    )


def test_json_lines_are_one_object_each_with_the_exception(root_logging: None) -> None:
    out = io.StringIO()
    setup_logging(LoggingSettings(level="debug", format="json"), stream=out)
    with job("inbox-3"):
        try:
            raise ValueError("bad activity")
        except ValueError:
            logging.getLogger("fedishare.inbox").exception("processing failed")
    logging.getLogger("fedishare.inbox").debug("a detail")
    failed, detail = (json.loads(line) for line in out.getvalue().splitlines())
    assert failed["level"] == "ERROR" and failed["logger"] == "fedishare.inbox"
    assert failed["message"] == "processing failed" and failed["job_id"] == "inbox-3"
    assert "ValueError: bad activity" in failed["exception"]
    assert failed["time"].endswith("+00:00") and "request_id" not in failed
    assert detail["level"] == "DEBUG" and "job_id" not in detail


def test_access_lines_only_when_asked(root_logging: None) -> None:
    setup_logging(LoggingSettings(), stream=io.StringIO())
    assert logging.getLogger("uvicorn.access").disabled
    setup_logging(LoggingSettings(access=True), stream=io.StringIO())
    assert not logging.getLogger("uvicorn.access").disabled


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"level": "loud"}, r'\[logging\] level: expected "debug" or "info"'),
        ({"format": "xml"}, r'\[logging\] format: expected "text" or "json"'),
        ({"access": "yes"}, r"\[logging\] access: expected true or false"),
    ],
)
def test_a_bad_logging_setting_is_refused_naming_it(
    tmp_path: Path, section: dict[str, object], expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        make_config(tmp_path, "oak.test", logging=section)


def test_a_paused_host_is_told_once_and_its_return_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fedishare.workers.host_watch")
    down = {"elm.test": StrugglingHost("elm.test", 5, "ConnectError: refused")}
    report(None, {})
    report({}, down)
    report(down, {"elm.test": StrugglingHost("elm.test", 6, "ConnectError: refused")})
    report(down, {})
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        (
            "WARNING",
            "deliveries to elm.test paused after 5 failed attempts in a row"
            " (last: ConnectError: refused); it is probed now and then",
        ),
        ("INFO", "deliveries to elm.test resumed"),
    ]


async def test_a_rotated_key_is_told_once(net: Network, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fedishare.remote.actors")
    oak = await net.add("oak.test")
    peer = MastodonPeer.on(net, "mastodon.test")
    peer.add("ann", rsa_key(0))
    await resolve_key(oak.instance, peer.key_id("ann"), False)
    later = utc_now() + timedelta(seconds=KEY_REFETCH_SECONDS + 1)
    oak.instance.clock = lambda: later
    await resolve_key(oak.instance, peer.key_id("ann"), True)  # the same key: nothing to tell
    assert not caplog.records
    peer.add("ann", rsa_key(1))
    oak.instance.clock = lambda: later + timedelta(seconds=KEY_REFETCH_SECONDS + 1)
    await resolve_key(oak.instance, peer.key_id("ann"), True)
    [line] = caplog.records
    assert line.getMessage() == (
        f"{peer.actor_id('ann')} rotated its key {peer.key_id('ann')}:"
        " signatures now verify with the new one"
    )


async def test_work_logs_text_lines_and_beats_for_readiness(tmp_path: Path) -> None:
    site = tmp_path / "oak"  # what `fedishare init --http` writes, without a process for it
    site.mkdir()
    (site / "instance.toml").write_text(default_config_text(f"127.0.0.1:{free_port()}"))
    async with running(site, "work", log="work.log") as worker:

        async def started() -> bool:
            return "working for" in (site / "work.log").read_text()

        await eventually(started, within=30, every=0.1)
        age = seconds_since_beat(site / "fedishare.sqlite3")
        assert age is not None and age < STALE_SECONDS  # what /readyz of `serve` reads
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    lines = (site / "work.log").read_text().splitlines()
    assert lines and all(TEXT_LINE.match(line) for line in lines), lines
    assert any(" INFO fedishare.work fedishare " in line for line in lines)
