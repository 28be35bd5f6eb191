"""Smoke tests for the peer harnesses: herd and pasture start, answer and stay on 127.0.0.1.

Every block below also fails if a peer tried to connect off 127.0.0.1 (the loopback guard
in tests/peers/offline refuses and records it; running_herd/running_pasture check at exit).
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import httpx

from .herd import running_herd
from .pasture import TEST_ACTORS, running_pasture
from .process import GUARD_TAG, peer_env, peers_python


async def test_herd_serves_its_user_and_publishes_a_note(tmp_path: Path) -> None:
    async with running_herd(tmp_path, handle="bob") as herd:
        client = herd.client
        status, jrd = await client.get(
            f"{herd.base_url}/.well-known/webfinger?resource={herd.acct}"
        )
        assert status == 200
        assert {"rel": "self", "type": "application/activity+json", "href": herd.actor_id} in jrd[
            "links"
        ]

        status, actor = await client.get(herd.actor_id)  # signed (Moo-Auth-1)
        assert status == 200
        assert actor["preferredUsername"] == "bob"
        assert actor["publicKey"]["owner"] == herd.actor_id
        async with httpx.AsyncClient(trust_env=False) as plain:
            unsigned = await plain.get(
                herd.actor_id, headers={"Accept": "application/activity+json"}
            )
        assert unsigned.status_code == 401  # herd only serves actors to signed fetches

        create = await client.build_create_note("Lending a ladder this weekend", public=True)
        location = await client.send_to_outbox(create)
        assert location is not None and location.startswith(herd.base_url)

        published = await client.wait_for_item(client.outbox, lambda a: a.get("id") == location)
        assert published["type"] == "Create"
        assert published["object"]["content"] == "Lending a ladder this weekend"


async def test_pasture_reports_an_unreachable_actor_as_failing(tmp_path: Path) -> None:
    # Bound but not listening: connections to it are refused at once, and no one else
    # can take the port meanwhile.
    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{closed_port.getsockname()[1]}"
        async with running_pasture(tmp_path, request_timeout=5.0) as pasture:
            result = await pasture.verify_actor(f"acct:nobody@{host}")

    assert set(result.actors) == set(TEST_ACTORS)
    assert not any(check.get_actor or check.post_inbox for check in result.actors.values())
    assert not result.webfinger
    assert any("acct:nobody@" in step for step in result.steps)


async def test_pasture_verifies_herd_like_an_independent_server(tmp_path: Path) -> None:
    """Reference behaviour of a signature-checking server, for comparing fedishare against."""
    async with (
        running_herd(tmp_path, handle="carol") as herd,
        running_pasture(tmp_path, request_timeout=5.0) as pasture,
    ):
        result = await pasture.verify_actor(herd.acct)

    checks = result.actors
    # herd refuses unsigned GETs of its actors, so alice and dean never reach the inbox.
    assert not checks["alice"].get_actor and not checks["dean"].get_actor
    assert not checks["alice"].post_inbox and not checks["dean"].post_inbox
    # Signed fetch and signed POST work, also for actors whose keys need a signed fetch.
    for name in ("bob", "claire", "emily", "frank"):
        assert checks[name].get_actor and checks[name].post_inbox, (name, result.steps)
    assert result.webfinger


GUARD_PROBE = """
import socket, sitecustomize
import aiohttp.resolver

def leaked(*args, **kwargs):
    raise SystemExit("the guard let an off-machine attempt through")

# Were the guard broken, this probe still sends nothing anywhere.
sitecustomize._real_getaddrinfo = leaked
sitecustomize._real_connect = leaked
attempts = [
    lambda: socket.getaddrinfo("example.org", 443),
    lambda: socket.socket().connect(("192.0.2.1", 80)),
]
for attempt in attempts:
    try:
        attempt()
    except OSError as error:
        assert sitecustomize.GUARD_TAG in str(error), error
    else:
        raise SystemExit("not refused")
assert aiohttp.resolver.DefaultResolver is aiohttp.resolver.ThreadedResolver
"""


def test_peer_processes_are_confined_to_loopback(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(peers_python()), "-c", GUARD_PROBE],
        cwd=tmp_path,
        env=peer_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(GUARD_TAG) == 2
