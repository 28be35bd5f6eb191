"""bovine-herd (an independent ActivityPub server) on a free 127.0.0.1 port, one user, offline.

Usage:

    async with running_herd(tmp_path, handle="bob") as herd:
        follow = await herd.client.build_follow("http://127.0.0.1:8000/users/alice")
        await herd.client.send_to_outbox(follow)
        accept = await herd.client.wait_for_inbox(lambda a: a.get("type") == "Accept")

Herd itself runs under hypercorn from the peers venv; its user is driven by a real
bovine.BovineClient inside herd_driver.py, reached through HerdClient.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .contexts import seed_jsonld_cache
from .process import (
    PEERS_DIR,
    PeerServer,
    listening_socket,
    peer_env,
    peers_python,
    poll_until,
    refused_connections,
    run_checked,
    stop_process,
)

Activity = dict[str, Any]
Predicate = Callable[[Activity], bool]

APP_SOURCE = """\
from quart import Quart

from bovine_herd import BovineHerd

app = Quart(__name__)
BovineHerd(app)
"""

CALL_TIMEOUT = 30.0


class DriverError(RuntimeError):
    """The bovine client in herd_driver.py raised; the message is its repr."""


class HerdClient:
    """Test-side handle on the user's bovine.BovineClient (running in herd_driver.py)."""

    def __init__(self, proc: asyncio.subprocess.Process, actor: Activity) -> None:
        self._proc = proc
        self._lock = asyncio.Lock()  # one request line, then its answer line
        self.actor = actor

    @property
    def actor_id(self) -> str:
        return str(self.actor["id"])

    @property
    def inbox(self) -> str:
        return str(self.actor["inbox"])

    @property
    def outbox(self) -> str:
        return str(self.actor["outbox"])

    @property
    def followers(self) -> str:
        return str(self.actor["followers"])

    @property
    def following(self) -> str:
        return str(self.actor["following"])

    async def call(self, op: str, **args: Any) -> Any:
        """Runs one herd_driver operation and returns its result."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        async with self._lock:
            if self._proc.returncode is not None:
                raise DriverError(f"herd driver is gone (exit {self._proc.returncode})")
            self._proc.stdin.write(json.dumps({"op": op, "args": args}).encode() + b"\n")
            await self._proc.stdin.drain()
            try:
                line = await asyncio.wait_for(self._proc.stdout.readline(), CALL_TIMEOUT)
            except TimeoutError:
                # Its late answer would be read as the next call's: end the driver instead.
                await stop_process(self._proc)
                raise DriverError(f"{op} got no answer in {CALL_TIMEOUT}s") from None
        if not line:
            raise DriverError(f"herd driver exited during {op}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise DriverError(f"{op}: {answer['error']}")
        return answer["result"]

    async def get(self, url: str) -> tuple[int, Any]:
        """Moo-Auth-signed GET of one of herd's own URLs: (status, JSON body or text)."""
        result = await self.call("get", url=url)
        return int(result["status"]), result["body"]

    async def proxy(self, url: str) -> Any:
        """Herd fetches url (e.g. a fedishare actor) signing as the user; returns the JSON."""
        return await self.call("proxy", url=url)

    async def send_to_outbox(self, activity: Activity) -> str | None:
        """Posts to the user's outbox; returns the new activity's id (Location header).

        Herd answers before it has delivered anything: poll the receiving side.
        """
        result = await self.call("send_to_outbox", activity=activity)
        if result["status"] >= 400:
            raise DriverError(f"outbox refused with {result['status']}: {result['body'][:500]}")
        location = result["location"]
        return str(location) if location else None

    async def collection(self, url: str, limit: int = 100) -> list[Any]:
        """Items of any collection, pages followed and ids resolved (as dicts) by herd."""
        return list(await self.call("collection", url=url, limit=limit))

    async def inbox_items(self, limit: int = 100) -> list[Any]:
        return await self.collection(self.inbox, limit)

    async def outbox_items(self, limit: int = 100) -> list[Any]:
        return await self.collection(self.outbox, limit)

    async def follower_ids(self, limit: int = 100) -> list[str]:
        return [_id_of(item) for item in await self.collection(self.followers, limit)]

    async def build_follow(self, target: str) -> Activity:
        return dict(await self.call("build_follow", target=target))

    async def build_accept(self, follow: Activity) -> Activity:
        return dict(await self.call("build_accept", activity=follow))

    async def build_create_note(
        self,
        content: str,
        to: list[str] | None = None,
        cc: list[str] | None = None,
        public: bool = False,
    ) -> Activity:
        """A Create wrapping a Note by the user; public adds as:Public and the followers."""
        return dict(
            await self.call("build_create_note", content=content, to=to, cc=cc, public=public)
        )

    async def wait_for_item(
        self, collection: str, predicate: Predicate, within: float = 10.0
    ) -> Activity:
        """Polls a collection until an item matches; raises TimeoutError after `within` s."""

        async def find() -> Activity | None:
            items = await self.collection(collection)
            return next((i for i in items if isinstance(i, dict) and predicate(i)), None)

        return await poll_until(find, within, what=f"item in {collection}")

    async def wait_for_inbox(self, predicate: Predicate, within: float = 10.0) -> Activity:
        return await self.wait_for_item(self.inbox, predicate, within)


def _id_of(item: Any) -> str:
    return str(item["id"] if isinstance(item, dict) else item)


@dataclass
class Herd:
    base_url: str  # http://127.0.0.1:PORT
    host: str  # 127.0.0.1:PORT
    handle: str
    acct: str  # acct:HANDLE@127.0.0.1:PORT
    actor_id: str
    client: HerdClient
    server: PeerServer
    directory: Path

    def log(self) -> str:
        return self.server.log()

    def refused_connections(self) -> list[str]:
        """What herd or its client tried to reach off 127.0.0.1 (refused by the guard)."""
        driver_log = self.directory / "driver" / "driver.log"
        return self.server.refused_connections() + refused_connections(driver_log)


async def _bootstrap_user(
    python: Path, directory: Path, env: dict[str, str], base_url: str, handle: str
) -> str:
    """Creates herd's database and user; returns the client secret (never printed)."""
    store = [str(python), "-m", "bovine_store"]
    await run_checked([*store, "create"], directory, env)
    registered = await run_checked(
        [*store, "register", "--domain", base_url, "--handle", handle], directory, env
    )
    match = re.search(r"bovine name (\S+)", registered)
    if match is None:
        raise RuntimeError(f"unexpected register output: {registered!r}")
    keyed = await run_checked([*store, "key", "--new", match.group(1)], directory, env)
    secret = re.search(r"Your new secret: (\S+)", keyed)
    if secret is None:
        raise RuntimeError("bovine_store key --new printed no secret")
    return secret.group(1)


def _prepare_driver(directory: Path, base_url: str, secret: str) -> Path:
    """The driver's working directory; returns its config file (owner-only: it holds the key)."""
    directory.mkdir()
    # The driver imports bovine too: give it its own seeded cache (bovine's cache INSERTs
    # without OR REPLACE, so two processes sharing one file can collide).
    seed_jsonld_cache(directory)
    config = directory / "client.json"
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fp:
        json.dump({"domain": base_url, "secret": secret}, fp)
    return config


async def _start_driver(
    python: Path, directory: Path, env: dict[str, str], base_url: str, secret: str
) -> tuple[asyncio.subprocess.Process, Activity]:
    config = _prepare_driver(directory, base_url, secret)
    log_path = directory / "driver.log"
    with log_path.open("ab") as log:
        proc = await asyncio.create_subprocess_exec(
            str(python),
            "-P",  # keep tests/peers off the driver's sys.path
            str(PEERS_DIR / "herd_driver.py"),
            str(config),
            cwd=directory,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            limit=64 * 1024 * 1024,
        )
    assert proc.stdout is not None
    try:
        hello = json.loads(await asyncio.wait_for(proc.stdout.readline(), CALL_TIMEOUT) or "{}")
    except TimeoutError:
        hello = {"error": "timed out"}
    if not hello.get("ok"):
        await stop_process(proc)
        log_text = log_path.read_text(errors="replace")[-3000:]
        raise DriverError(f"bovine client did not start: {hello.get('error')}\n{log_text}")
    return proc, hello["result"]


async def _close_driver(proc: asyncio.subprocess.Process) -> None:
    if proc.stdin is not None and not proc.stdin.is_closing():
        proc.stdin.close()  # end of input: the driver closes its session and exits
    try:
        await asyncio.wait_for(proc.wait(), 5.0)
    except TimeoutError:
        await stop_process(proc)


def bind_fd(sock: socket.socket) -> list[str]:
    # --workers 0 serves in this one process, so its PID is all there is to stop.
    return ["--bind", f"fd://{sock.fileno()}", "--workers", "0"]


def _prepare_herd(directory: Path) -> None:
    directory.mkdir()
    (directory / "app.py").write_text(APP_SOURCE)
    seed_jsonld_cache(directory)


@asynccontextmanager
async def running_herd(
    tmp_path: Path,
    handle: str = "bob",
    startup_timeout: float = 60.0,
    allow_refused: bool = False,
) -> AsyncIterator[Herd]:
    """Runs a fresh herd with one user `handle`; stops it (by PID) on exit.

    Unless allow_refused, a block that ends normally fails if herd or its client tried to
    reach anything off 127.0.0.1: such a fetch fails offline and silently changes herd's
    behaviour (see tests/peers/contexts.py).
    """
    python = peers_python()
    directory = tmp_path / f"herd-{handle}"
    _prepare_herd(directory)
    env = peer_env()
    started = time.monotonic()

    async with AsyncExitStack() as stack:
        sock = listening_socket()
        stack.callback(sock.close)
        host = f"127.0.0.1:{sock.getsockname()[1]}"
        base_url = f"http://{host}"
        secret = await _bootstrap_user(python, directory, env, base_url, handle)

        server = await PeerServer.start(
            [str(python), "-m", "hypercorn", "app:app", *bind_fd(sock)],
            directory,
            env,
            directory / "herd.log",
            pass_fds=[sock.fileno()],
        )
        stack.push_async_callback(server.stop)
        sock.close()  # the server holds its own copy now
        # Creates herd's application actor with this one request: concurrent first signed
        # requests race to create it.
        remaining = startup_timeout - (time.monotonic() - started)
        await server.wait_until_answers(f"{base_url}/activitypub/bovine", remaining)

        proc, actor = await _start_driver(python, directory / "driver", env, base_url, secret)
        stack.push_async_callback(_close_driver, proc)
        client = HerdClient(proc, actor)
        herd = Herd(
            base_url=base_url,
            host=host,
            handle=handle,
            acct=f"acct:{handle}@{host}",
            actor_id=client.actor_id,
            client=client,
            server=server,
            directory=directory,
        )
        yield herd
        refused = herd.refused_connections()
        if refused and not allow_refused:
            raise AssertionError("herd tried to leave 127.0.0.1:\n" + "\n".join(refused))
