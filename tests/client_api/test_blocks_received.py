"""A Block from another server, as Mastodon takes one: the follows between the two end both
ways; and a member who blocks someone never gets that someone as a follower again."""

from __future__ import annotations

from tests.client_api.conftest import Api
from tests.client_api.schema import check
from tests.waiting import eventually


async def _resolve(api: Api, handle: str) -> str:
    found = await api.get("/api/v2/search", params={"q": handle, "resolve": "true"})
    [account] = check(found, "GET", "/api/v2/search")["accounts"]
    return str(account["id"])


async def _relationship(api: Api, account_id: str) -> dict[str, object]:
    r = await api.get("/api/v1/accounts/relationships", params={"id[]": account_id})
    found: dict[str, object] = check(r, "GET", "/api/v1/accounts/relationships")[0]
    return found


async def test_a_block_from_elm_ends_follows_both_ways_and_refuses_new_ones(
    api_pair: tuple[Api, Api],
) -> None:
    oak, elm = api_pair
    bob_at_oak = await _resolve(oak, "@bob@elm.test")
    alice_at_elm = await _resolve(elm, "@alice@oak.test")
    await oak.post(f"/api/v1/accounts/{bob_at_oak}/follow")
    await elm.post(f"/api/v1/accounts/{alice_at_elm}/follow")

    async def mutual() -> bool:
        seen = await _relationship(oak, bob_at_oak)
        return bool(seen["following"] and seen["followed_by"])

    await eventually(mutual)

    check(
        await elm.post(f"/api/v1/accounts/{alice_at_elm}/block"),
        "POST",
        "/api/v1/accounts/{id}/block",
    )

    async def ended() -> bool:
        seen = await _relationship(oak, bob_at_oak)
        return not seen["following"] and not seen["followed_by"]

    await eventually(ended)

    # Bob unblocks and asks again; alice blocks him first: oak answers with a Reject.
    check(
        await oak.post(f"/api/v1/accounts/{bob_at_oak}/block"),
        "POST",
        "/api/v1/accounts/{id}/block",
    )
    await elm.post(f"/api/v1/accounts/{alice_at_elm}/unblock")
    await elm.post(f"/api/v1/accounts/{alice_at_elm}/follow")

    async def refused() -> bool:
        seen = await _relationship(elm, alice_at_elm)
        return not seen["following"] and not seen["requested"]

    async def asked() -> bool:
        rows = await oak.node.instance.db.fetch_all(
            "SELECT state FROM inbox_items WHERE body LIKE '%\"Follow\"%' AND state != 'received'"
        )
        return len(rows) >= 2

    await eventually(asked)
    await eventually(refused)
    followers = await oak.get(f"/api/v1/accounts/{await _own_id(oak)}/followers")
    assert check(followers, "GET", "/api/v1/accounts/{id}/followers") == []


async def _own_id(api: Api) -> str:
    me = await api.get("/api/v1/accounts/verify_credentials")
    return str(check(me, "GET", "/api/v1/accounts/verify_credentials")["id"])
