"""Starting, watching and stopping peer servers that run from the separate peers venv.

The peers (bovine-herd, fediverse-pasture) pin cryptography < 46 and aiosqlite < 0.21, so they
live in their own venv (scripts/install-peers) and only ever run as subprocesses of the tests.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

PEERS_DIR = Path(__file__).resolve().parent
REPO = PEERS_DIR.parent.parent
# Holds sitecustomize.py: on a peer's PYTHONPATH it refuses every non-loopback connection.
OFFLINE_DIR = PEERS_DIR / "offline"
# Same text as offline/sitecustomize.py's, which the tests must not import: it would confine
# the test process's own sockets too.
GUARD_TAG = "peers-offline-guard: refused"

STOP_TIMEOUT = 5.0

T = TypeVar("T")


def peers_python() -> Path:
    """The peers venv's python; fails the test when it is not installed (never a silent skip)."""
    configured = os.environ.get("FEDISHARE_PEERS_PYTHON")
    python = Path(configured) if configured else REPO / ".venv-peers" / "bin" / "python"
    if not python.exists():
        reason = f"peer software not installed at {python}: run scripts/install-peers"
        pytest.fail(reason)
    return python


def peer_env() -> dict[str, str]:
    """Environment for a peer: loopback guard first on the path, proxies unset."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key.lower() not in {"http_proxy", "https_proxy", "all_proxy", "pythonpath"}
    }
    env["PYTHONPATH"] = str(OFFLINE_DIR)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"  # logs reach the file before a peer is killed
    return env


def listening_socket() -> socket.socket:
    """A socket already listening on a free 127.0.0.1 port, to hand to a peer by fd.

    Passing the socket rather than its number leaves no window in which another process
    could take the port, and early requests queue instead of being refused.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def refused_connections(log_path: Path) -> list[str]:
    """Lines in which the loopback guard stopped a peer from going off-machine."""
    if not log_path.exists():
        return []
    return [line for line in log_path.read_text(errors="replace").splitlines() if GUARD_TAG in line]


async def run_checked(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str], within: float = 60.0
) -> str:
    """Runs a one-shot peer command and returns its stdout.

    The output is returned, never logged: `bovine_store key --new` prints a secret. On failure
    only stderr is shown.
    """
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), within)
    except TimeoutError:
        await stop_process(proc)
        raise
    if proc.returncode != 0:
        raise RuntimeError(
            f"{argv[1:4]} exited {proc.returncode}: {err.decode(errors='replace')[-2000:]}"
        )
    return out.decode()


class PeerServer:
    """A long-running peer: its own session (so the whole group can be stopped) and log file."""

    def __init__(self, proc: asyncio.subprocess.Process, log_path: Path) -> None:
        self.proc = proc
        self.log_path = log_path

    @classmethod
    async def start(
        cls,
        argv: Sequence[str],
        cwd: Path,
        env: Mapping[str, str],
        log_path: Path,
        pass_fds: Sequence[int] = (),
    ) -> PeerServer:
        with log_path.open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=cwd,
                env=dict(env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=tuple(pass_fds),
                start_new_session=True,
            )
        return cls(proc, log_path)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def refused_connections(self) -> list[str]:
        return refused_connections(self.log_path)

    async def wait_until_answers(self, url: str, within: float = 30.0) -> None:
        """Polls url until any HTTP answer below 500; fails early if the process died."""
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            while True:
                if self.proc.returncode is not None:
                    raise RuntimeError(
                        f"peer exited with {self.proc.returncode}:\n{self.log()[-3000:]}"
                    )
                try:
                    response = await client.get(url)
                    if response.status_code < 500:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} did not answer in {within}s:\n{self.log()[-3000:]}")
                await asyncio.sleep(0.1)

    async def stop(self) -> None:
        await stop_process(self.proc, group=True)


async def stop_process(proc: asyncio.subprocess.Process, group: bool = False) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT; only ever our own child (or its group)."""
    if proc.returncode is not None:
        return

    def send(sig: signal.Signals) -> None:
        try:
            # start_new_session made the child a group leader: pgid == its pid.
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        except ProcessLookupError:
            pass

    send(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
    except TimeoutError:
        send(signal.SIGKILL)
        await proc.wait()


async def poll_until(
    fetch: Callable[[], Awaitable[T | None]],
    within: float,
    interval: float = 0.2,
    what: str = "condition",
) -> T:
    """Calls fetch until it returns something other than None, for at most `within` s."""
    deadline = time.monotonic() + within
    while True:
        result = await fetch()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {within}s")
        await asyncio.sleep(interval)
