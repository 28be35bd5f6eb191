"""`fedishare peer add/list/remove` between two real instances on loopback: the peer's
listings show up in the other's search, and leave it again when the peer is removed."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.processes import cli, local_site, serving
from tests.waiting import eventually

BIKE = {
    "type": "Listing",
    "kind": "give",
    "title": "Blue one-speed bike",
    "description": "Some rust, rides fine.",
    "place": {"name": "Oakfield", "latitude": 51.5, "longitude": -0.12},
}


async def test_peer_add_list_and_remove(tmp_path: Path) -> None:
    oak, oak_port = await local_site(tmp_path, "oak")
    elm, elm_port = await local_site(tmp_path, "elm")
    oak_domain, elm_url = f"127.0.0.1:{oak_port}", f"http://127.0.0.1:{elm_port}"
    oak_community = f"http://{oak_domain}/users/community"
    code, out, err = await cli(oak, "account", "create", "alice")
    assert code == 0, err
    token = re.search(r"token:\s+(\S+)", out)
    assert token is not None

    code, _, err = await cli(elm, "peer", "list")
    assert code == 0 and "no peers yet" in err

    async with serving(oak, oak_port), serving(elm, elm_port), httpx.AsyncClient() as client:
        code, out, err = await cli(elm, "peer", "add", oak_domain)
        assert code == 0, err
        assert f"peer {oak_domain}: the community follows {oak_community} (pending" in out

        async def accepted() -> bool:
            return (await cli(elm, "peer", "list"))[
                1
            ] == f"{oak_domain}\t{oak_community}\taccepted\n"

        await eventually(accepted, within=30, every=0.5)

        posted = await client.post(
            f"http://{oak_domain}/users/alice/outbox",
            json=BIKE,
            headers={"Authorization": f"Bearer {token.group(1)}"},
        )
        assert posted.status_code == 201, posted.text
        bike = posted.json()["object"]["id"]
        search = f"{elm_url}/api/listings?q=bike&lat=51.5&lon=-0.12&radius=5"

        async def found() -> list[str]:
            return [item["id"] for item in (await client.get(search)).json()["items"]]

        assert await eventually(found, within=30, every=0.25) == [bike]

        code, out, err = await cli(elm, "peer", "remove", f"http://{oak_domain}/")
        assert code == 0, err
        assert out == f"peer {oak_domain}: the community no longer follows {oak_community}\n"
        assert await found() == []
        code, out, err = await cli(elm, "peer", "list")
        assert code == 0 and out == "" and "no peers yet" in err

        async def unfollowed() -> bool:
            followers = await client.get(
                f"{oak_community}/followers?page=1", headers={"Accept": "application/activity+json"}
            )
            return bool(followers.json()["orderedItems"] == [])

        await eventually(unfollowed, within=30, every=0.5)

        for args, message in [
            (("peer", "remove", oak_domain), f"{oak_domain} is not a peer"),
            (("peer", "add", f"127.0.0.1:{elm_port}"), "is this instance"),
            (("peer", "add", "127.0.0.1:1"), "127.0.0.1:1: no community found"),
            (("peer", "add", "not a domain"), "is not a domain"),
        ]:
            code, _, err = await cli(elm, *args)
            assert code == 1 and message in err, (args, err)
