"""Two real `fedishare serve` processes on loopback, both in secure mode: a member of one
follows a member of the other, whose followers-only listing crosses to the follower's server
and shows in the follower's home timeline, and to nobody else there."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from tests.processes import cli, local_site, serving
from tests.waiting import eventually

AS = {"Accept": "application/activity+json"}
BIKE = {
    "type": "Listing",
    "kind": "give",
    "title": "Blue one-speed bike",
    "description": "Some rust, rides fine.",
    "place": {"name": "Oakfield", "latitude": 51.5, "longitude": -0.12},
    "visibility": "followers",
}


async def _secure_site(parent: Path, name: str) -> tuple[Path, int]:
    site, port = await local_site(parent, name)
    config = site / "instance.toml"
    text = config.read_text()
    assert "secure_mode = false" in text
    config.write_text(text.replace("secure_mode = false", "secure_mode = true"))
    return site, port


async def _member(site: Path, name: str) -> str:
    code, out, err = await cli(site, "account", "create", name)
    assert code == 0, err
    token = re.search(r"token:\s+(\S+)", out)
    assert token is not None
    return token.group(1)


async def test_a_followers_only_listing_crosses_between_secure_servers(tmp_path: Path) -> None:
    # Two processes at a time: each spends most of its time starting Python.
    (oak, oak_port), (elm, elm_port) = await asyncio.gather(
        _secure_site(tmp_path, "oak"), _secure_site(tmp_path, "elm")
    )
    oak_url, elm_url = f"http://127.0.0.1:{oak_port}", f"http://127.0.0.1:{elm_port}"
    alice_token, bob_token = await asyncio.gather(_member(oak, "alice"), _member(elm, "bob"))
    as_bob = {"Authorization": f"Bearer {bob_token}"}

    async with serving(oak, oak_port), serving(elm, elm_port), httpx.AsyncClient() as client:
        assert (await client.get(f"{oak_url}/users/alice", headers=AS)).status_code == 401
        assert (await client.get(f"{oak_url}/actor", headers=AS)).status_code == 200

        # Bob finds alice (WebFinger, then her actor, signed) and follows her.
        found = await client.get(
            f"{elm_url}/api/v2/search",
            params={"q": f"@alice@127.0.0.1:{oak_port}", "resolve": "true", "type": "accounts"},
            headers=as_bob,
        )
        alice = found.json()["accounts"][0]["id"]
        followed = await client.post(f"{elm_url}/api/v1/accounts/{alice}/follow", headers=as_bob)
        assert followed.status_code == 200, followed.text

        async def accepted() -> bool:
            answer = await client.get(
                f"{elm_url}/api/v1/accounts/relationships", params={"id[]": alice}, headers=as_bob
            )
            return bool(answer.json()[0]["following"])

        await eventually(accepted, within=30, every=0.2)
        posted = await client.post(
            f"{oak_url}/users/alice/outbox",
            json=BIKE,
            headers={"Authorization": f"Bearer {alice_token}"},
        )
        assert posted.status_code == 201, posted.text
        bike = posted.json()["object"]["id"]
        assert (await client.get(bike, headers=AS)).status_code == 401

        async def in_bobs_home() -> list[dict[str, object]]:
            home = await client.get(f"{elm_url}/api/v1/timelines/home", headers=as_bob)
            return [s for s in home.json() if s["uri"] == bike]

        shown = await eventually(in_bobs_home, within=30, every=0.2)
        assert shown[0]["visibility"] == "private"
        status = f"{elm_url}/api/v1/statuses/{shown[0]['id']}"
        assert (await client.get(status, headers=as_bob)).status_code == 200
        assert (await client.get(status)).status_code == 404  # anyone else
        board = await client.get(f"{elm_url}/api/listings?q=bike")
        assert board.json()["items"] == []
