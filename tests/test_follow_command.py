"""`fedishare follow` and `fedishare following` between two real instances on loopback."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.processes import cli, local_site, serving
from tests.waiting import eventually

AS = "application/activity+json"


async def test_follow_and_following_as_a_member_and_as_the_community(tmp_path: Path) -> None:
    oak, oak_port = await local_site(tmp_path, "oak")
    elm, elm_port = await local_site(tmp_path, "elm")
    assert (await cli(oak, "account", "create", "alice"))[0] == 0
    assert (await cli(elm, "account", "create", "bob"))[0] == 0
    alice = f"http://127.0.0.1:{oak_port}/users/alice"

    # Idle connections dropped before the server's 5 s keep-alive ends: the CLI calls between
    # two requests take longer than that, and a request could go out on a closing connection.
    fresh = httpx.Limits(keepalive_expiry=1.0)
    async with (
        serving(oak, oak_port),
        serving(elm, elm_port),
        httpx.AsyncClient(limits=fresh) as client,
    ):
        code, out, err = await cli(elm, "follow", f"@alice@127.0.0.1:{oak_port}", "--as", "bob")
        assert code == 0, err
        assert f"@bob follows {alice}" in out
        code, out, err = await cli(elm, "follow", f"alice@127.0.0.1:{oak_port}")
        assert code == 0, err
        assert f"@community follows {alice}" in out

        async def both_accepted() -> bool:
            as_bob = (await cli(elm, "following", "--as", "bob"))[1]
            as_group = (await cli(elm, "following"))[1]
            return as_bob == as_group == f"{alice}\taccepted\n"

        await eventually(both_accepted, within=30, every=0.5)
        followers = await client.get(f"{alice}/followers?page=1", headers={"Accept": AS})
        assert sorted(followers.json()["orderedItems"]) == [
            f"http://127.0.0.1:{elm_port}/users/bob",
            f"http://127.0.0.1:{elm_port}/users/community",
        ]

        code, _, err = await cli(elm, "follow", "@nobody@127.0.0.1:1", "--as", "bob")
        assert code == 1 and "@nobody@127.0.0.1:1" in err
        code, _, err = await cli(elm, "follow", f"{alice}", "--as", "ghost")
        assert code == 1 and "no member named 'ghost'" in err

        code, out, err = await cli(elm, "unfollow", alice, "--as", "bob")
        assert code == 0, err

        async def unfollowed() -> bool:
            page = await client.get(f"{alice}/followers?page=1", headers={"Accept": AS})
            return page.json()["orderedItems"] == [f"http://127.0.0.1:{elm_port}/users/community"]

        await eventually(unfollowed, within=30, every=0.5)
