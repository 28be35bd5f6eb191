"""fediverse-pasture's one_actor on a free 127.0.0.1 port: one signing actor
(`http://HOST/actor`) that accepts follows and sends fediverse-pasture-inputs on request.

Usage:

    async with running_one_actor(tmp_path) as pasture:
        sent = await pasture.send(member_uri, [("mentions", 0), ("hashtags", 3)])
        # [Sent(input="mentions", index=0, id="http://HOST/actor/object/...", ok=True), ...]

The server is tests/peers/one_actor_server.py, run by the peers venv's python.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .contexts import seed_jsonld_cache
from .process import PEERS_DIR, PeerServer, listening_socket, peer_env, peers_python


@dataclass(frozen=True)
class Sent:
    input: str
    index: int
    id: str  # the Note's id: the status's `uri` once fedishare keeps it
    ok: bool  # the inbox answered 2xx


@dataclass
class OneActor:
    base_url: str
    host: str
    server: PeerServer

    @property
    def actor_id(self) -> str:
        return f"{self.base_url}/actor"

    async def send(
        self,
        to: str,
        inputs: Sequence[tuple[str, int]],
        notes: Sequence[dict[str, Any]] = (),
    ) -> list[Sent]:
        """Sends each input example (and each extra note fragment) to the actor `to`, one by
        one, as pasture's ActivitySender builds them."""
        body = {"to": to, "inputs": [list(i) for i in inputs], "notes": list(notes)}
        async with httpx.AsyncClient(timeout=120, trust_env=False) as client:
            response = await client.post(f"{self.base_url}/_send", json=body)
        response.raise_for_status()
        return [Sent(**row) for row in response.json()]


@asynccontextmanager
async def running_one_actor(
    tmp_path: Path, startup_timeout: float = 60.0
) -> AsyncIterator[OneActor]:
    """Serves one_actor from a fresh directory; stops it (by PID) on exit. A block that ends
    normally fails if the actor tried to reach anything off 127.0.0.1."""
    python = peers_python()
    directory = tmp_path / "one_actor"
    directory.mkdir()
    seed_jsonld_cache(directory)
    async with AsyncExitStack() as stack:
        sock = listening_socket()
        stack.callback(sock.close)
        host = f"127.0.0.1:{sock.getsockname()[1]}"
        argv = [str(python), "-P", str(PEERS_DIR / "one_actor_server.py"), str(sock.fileno()), host]
        server = await PeerServer.start(
            argv, directory, peer_env(), directory / "one_actor.log", pass_fds=[sock.fileno()]
        )
        stack.push_async_callback(server.stop)
        sock.close()
        base_url = f"http://{host}"
        await server.wait_until_answers(f"{base_url}/actor", startup_timeout)
        yield OneActor(base_url, host, server)
        refused = server.refused_connections()
        if refused:
            raise AssertionError("one_actor tried to leave 127.0.0.1:\n" + "\n".join(refused))
