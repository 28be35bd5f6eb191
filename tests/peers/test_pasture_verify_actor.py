"""fediverse-pasture's verify_actor against a real `fedishare serve`: signed test actors may
post to a member's inbox (also those whose keys need a signed fetch), unsigned ones are
refused, and WebFinger round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import aiosqlite

from tests.peers.pasture import running_pasture
from tests.processes import free_port, run_cli, serving

SIGNED = ("bob", "claire", "emily", "frank")
UNSIGNED = ("alice", "dean")


async def test_pasture_verifies_a_fedishare_member(tmp_path: Path) -> None:
    port = free_port()
    site = tmp_path / "fedishare"
    site.mkdir()
    assert run_cli(site, "init", "--domain", f"127.0.0.1:{port}", "--http").returncode == 0
    created = run_cli(site, "account", "create", "alice")
    assert created.returncode == 0, created.stderr

    async with serving(site, port), running_pasture(tmp_path, request_timeout=10.0) as pasture:
        result = await pasture.verify_actor(f"acct:alice@127.0.0.1:{port}")
        senders = {pasture.actor_id(name) for name in SIGNED}

    checks = result.actors
    for name in SIGNED:
        assert checks[name].get_actor and checks[name].post_inbox, (name, result.steps)
    for name in UNSIGNED:
        assert checks[name].get_actor, (name, result.steps)
        assert not checks[name].post_inbox, (name, result.steps)
    assert result.webfinger, result.steps

    # What the inbox kept: one Like per signed actor, nothing of the unsigned EchoRequests.
    async with aiosqlite.connect(site / "fedishare.sqlite3") as db:
        rows = list(await db.execute_fetchall("SELECT actor, body FROM inbox_items"))
    assert {actor for actor, _ in rows} == senders
    assert {json.loads(body)["type"] for _, body in rows} == {"Like"}
