"""A bovine-herd user follows a neighbourhood and sees its listings as readable posts."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.peers.herd import running_herd
from tests.peers.test_bovine_federation import collection, id_of, token_from
from tests.processes import free_port, run_cli, serving
from tests.waiting import eventually


async def test_herd_follows_the_community_and_receives_the_listing(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    site = tmp_path / "fedishare"
    site.mkdir()
    assert run_cli(site, "init", "--domain", f"127.0.0.1:{port}", "--http").returncode == 0
    created = run_cli(site, "account", "create", "alice")
    token = token_from(created.stdout)
    community = f"{base}/users/community"

    async with (
        serving(site, port),
        running_herd(tmp_path, handle="bob") as herd,
        httpx.AsyncClient(timeout=10.0) as client,
    ):
        follow_id = await herd.client.send_to_outbox(await herd.client.build_follow(community))
        await herd.client.wait_for_inbox(
            lambda a: a.get("type") == "Accept" and id_of(a.get("object")) == follow_id,
            within=20,
        )

        async def followed() -> bool:
            return await collection(client, f"{community}/followers") == [herd.actor_id]

        await eventually(followed, within=20)

        r = await client.post(
            f"{base}/users/alice/outbox",
            json={
                "type": "Listing",
                "kind": "give",
                "title": "Blue one-speed bike",
                "description": "Some rust, rides fine.",
                "place": {"name": "Oakfield", "latitude": 51.5, "longitude": -0.12},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        listing_id = r.json()["object"]["id"]

        announce = await herd.client.wait_for_inbox(
            lambda a: a.get("type") == "Announce" and id_of(a.get("object")) == listing_id,
            within=30,
        )
        assert id_of(announce["actor"]) == community
        status, note = await herd.client.get(listing_id)
        assert status == 200
        assert note["type"] == "Note" and "summary" not in note
        for words in ("Blue one-speed bike", "Some rust, rides fine.", "Oakfield", "open"):
            assert words in note["content"]
        assert herd.refused_connections() == []
