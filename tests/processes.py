"""Starting `fedishare` as a real process on a loopback port, for end-to-end tests."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

# How tests run `fedishare` unless told otherwise: the package this test process imports.
# Pass `command` (e.g. a venv's bin/fedishare) to run another installation.
FEDISHARE = (sys.executable, "-m", "fedishare")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(
    directory: Path, *args: str, command: Sequence[str] = FEDISHARE
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@asynccontextmanager
async def running(
    directory: Path, *args: str, log: str, command: Sequence[str] = FEDISHARE
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """Run `fedishare ARGS` in `directory`, its output appended to `log` there; SIGTERM it at
    exit (SIGKILL if it has not stopped 15 s later)."""
    out = (directory / log).open("ab")
    proc = subprocess.Popen(
        [*command, *args],
        cwd=directory,
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        out.close()


@asynccontextmanager
async def serving(
    directory: Path,
    port: int,
    *,
    args: tuple[str, ...] = (),
    timeout: float = 20.0,
    command: Sequence[str] = FEDISHARE,
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """Run `fedishare serve` in `directory` until it answers on `port`; SIGTERM it at exit."""
    async with running(directory, "serve", *args, log="serve.log", command=command) as proc:
        await _wait_until_up(proc, port, timeout, directory)
        yield proc


async def _wait_until_up(
    proc: subprocess.Popen[bytes], port: int, timeout: float, directory: Path
) -> None:
    url = f"http://127.0.0.1:{port}/.well-known/nodeinfo"
    async with httpx.AsyncClient(timeout=1.0) as client:
        for _ in range(int(timeout / 0.1)):
            if proc.poll() is not None:
                log = (directory / "serve.log").read_text(errors="replace")
                raise RuntimeError(f"fedishare serve exited with {proc.returncode}:\n{log}")
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"fedishare serve did not answer on port {port} within {timeout}s")


async def cli(
    directory: Path, *args: str, command: Sequence[str] = FEDISHARE
) -> tuple[int, str, str]:
    """Run `fedishare ARGS` in `directory` without blocking the event loop."""
    done = await asyncio.to_thread(run_cli, directory, *args, command=command)
    return done.returncode, done.stdout, done.stderr


async def local_site(
    parent: Path,
    name: str,
    *,
    command: Sequence[str] = FEDISHARE,
    database_url: str | None = None,
) -> tuple[Path, int]:
    """A directory with `fedishare init --http` done for a free loopback port; its database
    the SQLite file `init` names, or `database_url` (e.g. tests.databases.fresh_database's)."""
    port = free_port()
    site = parent / name
    site.mkdir()
    code, _, err = await cli(
        site, "init", "--domain", f"127.0.0.1:{port}", "--http", command=command
    )
    assert code == 0, err
    # Instances and peers here all live on loopback, which fetches and deliveries reach only
    # for the hosts in [federation] private_hosts: `init --http` names loopback there.
    assert '\nprivate_hosts = ["127.0.0.1", ' in (site / "instance.toml").read_text()
    if database_url is not None:
        use_database(site / "instance.toml", database_url)
    return site, port


def use_database(toml: Path, url: str) -> None:
    """Point instance.toml at the database `url`: its `[database] url`, with the SQLite path
    of `[instance] database` left out."""
    setting = f"url = {json.dumps(url)}\n"
    lines: list[str] = []
    table = ""
    for line in toml.read_text().splitlines(keepends=True):
        if line.startswith("["):
            table = line.strip()
        if (table, line.partition(" =")[0]) in {("[instance]", "database"), ("[database]", "url")}:
            continue
        lines.append(line)
        if line.startswith("[database]"):
            lines.append(setting)
    if not any(line.startswith("[database]") for line in lines):
        lines.append(f"\n[database]\n{setting}")
    toml.write_text("".join(lines))
    assert tomllib.loads(toml.read_text())["database"]["url"] == url
