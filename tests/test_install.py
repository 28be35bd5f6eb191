"""fedishare installed as a user would, into a fresh venv without setuptools (Python 3.12+
venvs have none, and setuptools 81 dropped pkg_resources): it installs from wheels alone, and
`fedishare serve` from that venv answers WebFinger and takes a signed inbox POST.

Offline: the wheels of fedishare's dependencies, and of its build backend, come from the
repository's .wheelhouse/, which `bash scripts/test` makes. fedishare itself is built here
from the sources in the tree, so that the test never installs a stale wheel of it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from fedishare.core.types import utc_now
from tests.mastodon_peer import MastodonPeer, rsa_key
from tests.processes import local_site, serving
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[1]
WHEELHOUSE = ROOT / ".wheelhouse"


def run(*command: str | Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `command` in the root directory, where `python -c` finds no package of the tree."""
    done = subprocess.run(
        [str(part) for part in command],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if ok:
        assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


def importable(python: Path, module: str) -> bool:
    return run(python, "-c", f"import {module}", ok=False).returncode == 0


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pip configuration (this machine's may name indexes or local wheel directories), no
    index, and nothing of this test process's environment leaking into the venv."""
    for name in list(os.environ):
        if name.startswith("PIP_") or name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")


def system_python() -> str:
    python3 = shutil.which("python3")
    assert python3, "no python3 on PATH"
    version = run(python3, "-c", "import sys; print(*sys.version_info[:2], sep='.')")
    ours = "{}.{}".format(*sys.version_info[:2])
    assert version.stdout.strip() == ours, (
        f"{python3} is Python {version.stdout.strip()}, but .wheelhouse/ holds wheels for the "
        f"Python of .venv, {ours}: make .venv with this python3 and run `bash scripts/test`"
    )
    return python3


@pytest.fixture
def venv(tmp_path: Path, offline: None) -> Path:
    """A fresh venv without setuptools, fedishare installed in it offline; its bin/."""
    if not any(WHEELHOUSE.glob("*.whl")):
        pytest.fail(
            f"no wheelhouse at {WHEELHOUSE}: run `bash scripts/test` once, which builds the "
            "wheels of fedishare and its dependencies there (the one step that needs network)"
        )
    bin_ = tmp_path / "venv" / "bin"
    run(system_python(), "-m", "venv", bin_.parent)
    run(bin_ / "pip", "uninstall", "-q", "-y", "setuptools")
    assert not importable(bin_ / "python", "setuptools")
    assert not importable(bin_ / "python", "pkg_resources")

    # fedishare as it is in the tree now, as `pip install .` builds it: a copy, so that no
    # build/ or egg-info lands in the tree; its build backend comes from the wheelhouse too.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT / "fedishare",
        source / "fedishare",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.sqlite3*"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    installed = run(
        bin_ / "pip", "install", "--no-compile", "--find-links", WHEELHOUSE, source, ok=False
    )
    assert installed.returncode == 0, (
        f"fedishare does not install from {WHEELHOUSE} alone (if pyproject.toml changed, "
        f"`bash scripts/test` remakes it):\n{installed.stdout}\n{installed.stderr}"
    )
    run(bin_ / "pip", "check")
    location = run(bin_ / "python", "-c", "import fedishare; print(fedishare.__file__)")
    assert location.stdout.startswith(str(bin_.parent)), location.stdout
    # Nothing fedishare needs brought setuptools, or httpsig (a test dependency), back.
    for module in ("setuptools", "pkg_resources", "httpsig"):
        assert not importable(bin_ / "python", module), module
    return bin_


@asynccontextmanager
async def peer_on_loopback() -> AsyncIterator[MastodonPeer]:
    """A Mastodon-like server on a loopback port, in this event loop: it serves the actor
    documents (with their keys) of the accounts the test adds."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    peer = MastodonPeer(f"127.0.0.1:{sock.getsockname()[1]}")
    config = uvicorn.Config(
        peer.app, lifespan="off", ws="none", log_config=None, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        return server.started

    try:
        await eventually(started, within=10, every=0.01)
        yield peer
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_a_fresh_venv_without_setuptools_installs_and_serves(
    tmp_path: Path, venv: Path
) -> None:
    fedishare = (str(venv / "fedishare"),)
    site, port = await local_site(tmp_path, "site", command=fedishare)
    base = f"http://127.0.0.1:{port}"
    community = f"acct:community@127.0.0.1:{port}"

    async with (
        peer_on_loopback() as peer,
        serving(site, port, command=fedishare),
        httpx.AsyncClient(base_url=base, timeout=10.0) as client,
    ):
        found = await client.get("/.well-known/webfinger", params={"resource": community})
        assert found.status_code == 200, found.text
        assert found.json()["subject"] == community

        john = peer.add("john", rsa_key(0))
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{john}/statuses/1/activity",
            "type": "Create",
            "actor": john,
            "object": {"id": f"{john}/statuses/1", "type": "Note", "content": "<p>Ladder</p>"},
        }
        inbox = f"{base}/users/community/inbox"
        body, headers = peer.signed_post("john", inbox, activity, now=utc_now())
        posted = await client.post(inbox, content=body, headers=headers)
        assert posted.status_code == 202, posted.text
        assert peer.fetched == ["/users/john"]  # the key, fetched from the actor document
