"""fediverse-pasture's verify_actor on a free 127.0.0.1 port: six independent test actors
fetch an actor and POST to its inbox.

Usage:

    async with running_pasture(tmp_path) as pasture:
        result = await pasture.verify_actor("acct:alice@127.0.0.1:8000")
        assert result.actors["bob"].post_inbox        # signed POST accepted
        assert not result.actors["alice"].post_inbox  # unsigned POST refused

What verify_actor answers (POST / with form actor_uri=..., Accept: application/json):

    {"result": {"alice": {"get_actor": bool, "post_inbox": bool}, ... "frank": {...},
                "webfinger": bool},
     "messages": "<JSON text of {\"steps\": [str, ...]}>"}   (a string, decoded here)

The test actors, all at http://HOST/<name> with RSA keys:
- alice, dean: GET the actor and POST {"type": "EchoRequest"} unsigned; a server that checks
  signatures must refuse the POST (post_inbox False). get_actor says whether an unsigned GET
  of the actor worked (False if the server demands signed fetches).
- bob, emily: GET and POST a Like signed (draft-cavage HTTP signatures, rsa-sha256); their own
  actors can be fetched unsigned. Both should be True.
- claire, frank: like bob, but fetching their actors (for the key) needs a signed GET too, so
  post_inbox is True only if the server signs its key fetches.
- alice, bob, claire have WebFinger (acct:alice@HOST...); dean, emily, frank do not.
- webfinger: True if the actor's preferredUsername@host resolves back to the same actor id.
post_inbox counts any answer from 101 to 399 for unsigned POSTs; for signed ones any answer
that is not an error, or a 400. Failures (unreachable, unresolvable) give False everywhere,
with the reason among the steps.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .contexts import seed_jsonld_cache
from .process import (
    PEERS_DIR,
    PeerServer,
    listening_socket,
    peer_env,
    peers_python,
)

TEST_ACTORS = ("alice", "bob", "claire", "dean", "emily", "frank")


@dataclass(frozen=True)
class ActorCheck:
    get_actor: bool
    post_inbox: bool


@dataclass(frozen=True)
class VerifyResult:
    actors: dict[str, ActorCheck]  # by test actor name
    webfinger: bool
    steps: list[str]  # pasture's event log: why something failed
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VerifyResult:
        result = data["result"]
        return cls(
            actors={
                name: ActorCheck(bool(value["get_actor"]), bool(value["post_inbox"]))
                for name, value in result.items()
                if name != "webfinger"
            },
            webfinger=bool(result.get("webfinger")),
            steps=[str(step) for step in json.loads(data["messages"]).get("steps", [])],
            raw=data,
        )


@dataclass
class Pasture:
    base_url: str  # http://127.0.0.1:PORT
    host: str
    server: PeerServer
    directory: Path
    request_timeout: float

    def actor_id(self, name: str) -> str:
        """The id of a test actor, e.g. to look for its Like in an inbox."""
        return f"{self.base_url}/{name}"

    async def verify_actor(self, actor_uri: str, only: Sequence[str] = ()) -> VerifyResult:
        """Runs verify_actor against actor_uri (acct:user@host or the actor's URL).

        only restricts the run to some test actors. Each of pasture's steps is bounded by
        request_timeout; the whole call by enough of them to cover every actor.
        """
        params = {f"only_{name}": "1" for name in only}
        bound = self.request_timeout * 3 * (len(only) or len(TEST_ACTORS)) + 10
        async with httpx.AsyncClient(timeout=bound, trust_env=False) as client:
            response = await client.post(
                f"{self.base_url}/",
                params=params,
                data={"actor_uri": actor_uri},
                headers={"Accept": "application/json"},
            )
        response.raise_for_status()
        return VerifyResult.from_json(response.json())

    def refused_connections(self) -> list[str]:
        return self.server.refused_connections()


def _prepare(directory: Path) -> None:
    directory.mkdir()
    seed_jsonld_cache(directory)  # pasture parses the verified actor with bovine's JSON-LD


@asynccontextmanager
async def running_pasture(
    tmp_path: Path,
    request_timeout: float = 20.0,
    startup_timeout: float = 60.0,
    allow_refused: bool = False,
) -> AsyncIterator[Pasture]:
    """Serves verify_actor from a fresh directory; stops it (by PID) on exit.

    Unless allow_refused, a block that ends normally fails if pasture tried to reach
    anything off 127.0.0.1 (e.g. an acct: URI naming a real host).
    """
    python = peers_python()
    directory = tmp_path / "pasture"
    _prepare(directory)
    async with AsyncExitStack() as stack:
        sock = listening_socket()
        stack.callback(sock.close)
        host = f"127.0.0.1:{sock.getsockname()[1]}"
        # -P keeps tests/peers off the server's sys.path.
        argv = [str(python), "-P", str(PEERS_DIR / "pasture_server.py")]
        server = await PeerServer.start(
            [*argv, str(sock.fileno()), host, str(request_timeout)],
            directory,
            peer_env(),
            directory / "pasture.log",
            pass_fds=[sock.fileno()],
        )
        stack.push_async_callback(server.stop)
        sock.close()
        base_url = f"http://{host}"
        await server.wait_until_answers(f"{base_url}/", startup_timeout)
        yield Pasture(base_url, host, server, directory, request_timeout)
        refused = server.refused_connections()
        if refused and not allow_refused:
            raise AssertionError("pasture tried to leave 127.0.0.1:\n" + "\n".join(refused))
