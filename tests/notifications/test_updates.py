"""`update` notifications: when a status is edited (here, by another server's Update, or a
listing's new version), each member here who boosted it hears of it, once per edit, as
Mastodon tells those who boosted; the author and those who took their boost back do not."""

from __future__ import annotations

from typing import Any

from fedishare.follows.following import follow_actor
from fedishare.storage import actors
from tests.client_api.conftest import Api
from tests.client_api.schema import check
from tests.waiting import eventually

N = "/api/v1/notifications"
S = "/api/v1/statuses"


async def updates(api: Api) -> list[dict[str, Any]]:
    body = check(await api.get(N, params={"types[]": "update"}), "GET", N)
    return list(body)


async def posted(api: Api, **body: Any) -> dict[str, Any]:
    r = await api.post(S, json=body)
    assert r.status_code == 200, r.text
    return dict(check(r, "POST", S))


async def boost(api: Api, status_id: str) -> None:
    check(await api.post(f"{S}/{status_id}/reblog"), "POST", "/api/v1/statuses/{id}/reblog")


async def edit(api: Api, status_id: str, text: str) -> None:
    check(await api.put(f"{S}/{status_id}", json={"status": text}), "PUT", "/api/v1/statuses/{id}")


async def test_a_local_edit_notifies_who_boosted_it(api: Api) -> None:
    carol, carol_token = await api.new_member("carol")
    as_carol = api.as_(carol_token, carol)
    dave, dave_token = await api.new_member("dave")
    as_dave = api.as_(dave_token, dave)
    erin, erin_token = await api.new_member("erin")
    as_erin = api.as_(erin_token, erin)
    status = await posted(api, status="Apples to give")
    for booster in (as_carol, as_dave, as_erin, api):
        await boost(booster, status["id"])
    unboosted = await as_erin.post(f"{S}/{status['id']}/unreblog")
    check(unboosted, "POST", "/api/v1/statuses/{id}/unreblog")

    await edit(api, status["id"], "Pears to give")
    [notified] = await updates(as_carol)
    assert notified["type"] == "update" and notified["account"]["acct"] == "alice"
    assert notified["status"]["id"] == status["id"] and "Pears" in notified["status"]["content"]
    assert notified["status"]["edited_at"] is not None
    assert len(await updates(as_dave)) == 1
    assert await updates(as_erin) == []  # took the boost back
    assert await updates(api) == []  # the author boosted it too, and is not told

    # Another edit: one notification still, the newer one on top (a dismissed one too).
    check(await as_dave.post(f"{N}/{notified['id']}/dismiss"), "POST", f"{N}/{{id}}/dismiss")
    await edit(api, status["id"], "Plums to give")
    [again] = await updates(as_carol)
    assert int(again["id"]) > int(notified["id"]) and "Plums" in again["status"]["content"]
    assert len(await updates(as_dave)) == 1


async def test_a_listing_edited_notifies_who_boosted_it(api: Api) -> None:
    carol, carol_token = await api.new_member("carol")
    as_carol = api.as_(carol_token, carol)
    async with api.node.instance.db.transaction() as tx:
        await actors.set_default_place(tx, api.member.id, {"name": "Oakfield"})
    status = await posted(api, status="#offer Blue bike\nRides fine")
    await boost(as_carol, status["id"])
    assert await updates(as_carol) == []
    await edit(api, status["id"], "#offer Red bike\nRides fine")
    [notified] = await updates(as_carol)
    assert notified["status"]["id"] == status["id"] and "Red bike" in notified["status"]["content"]


async def test_an_update_from_another_server_notifies_who_boosted_it(
    api_pair: tuple[Api, Api],
) -> None:
    oak, elm = api_pair
    oak_inst = oak.node.instance
    await follow_actor(oak_inst, oak.member, f"{elm.base}/users/bob")
    oak_inst.wake_delivery.set()

    async def following() -> bool:
        rows = await oak_inst.db.fetch_all(
            "SELECT 1 FROM follows WHERE follower = ? AND state = 'accepted'",
            (f"{oak.base}/users/alice",),
        )
        return len(rows) == 1

    await eventually(following)
    status = await posted(elm, status="Bread on Sunday")
    elm.node.instance.wake_delivery.set()

    async def seen() -> str | None:
        home = check(await oak.get("/api/v1/timelines/home"), "GET", "/api/v1/timelines/home")
        return next((s["id"] for s in home if "Bread" in s["content"]), None)

    local_id = await eventually(seen)
    await boost(oak, local_id)
    await edit(elm, status["id"], "Bread on Saturday")
    elm.node.instance.wake_delivery.set()

    async def told() -> list[dict[str, Any]]:
        return await updates(oak)

    [notified] = await eventually(told)
    assert notified["account"]["acct"] == "bob@elm.test"
    assert notified["status"]["id"] == local_id and "Saturday" in notified["status"]["content"]
