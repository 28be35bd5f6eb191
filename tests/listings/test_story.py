"""The issue's story, through the APIs members' apps use, across three instances: a member on
A offers a bike; B takes in A's listings and finds the bike near A; a user on B replies
privately; A's member reserves it for them; B sees it reserved, then taken, then gone."""

from __future__ import annotations

from typing import Any

import httpx

from fedishare.listings.peers import add_peer
from tests.harness import Network, Node
from tests.json_api.test_listings import BIKE
from tests.outbox.test_client_posts import member, post
from tests.waiting import eventually

ALICE = "http://oak.test/users/alice"
BOB = "http://elm.test/users/bob"


async def search(node: Node, **params: str) -> list[dict[str, Any]]:
    r = await node.client.get(f"{node.base}/api/listings", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def status_on(node: Node, listing: str) -> str | None:
    r = await node.client.get(f"{node.base}/api/listings/one", params={"id": listing})
    return str(r.json()["status"]) if r.status_code == 200 else None


async def test_a_bike_offered_found_answered_reserved_taken_and_deleted(net: Network) -> None:
    oak, elm, ash = await net.add("oak.test"), await net.add("elm.test"), await net.add("ash.test")
    alice = await member(oak, "alice")
    bob = await member(elm, "bob")
    await add_peer(elm.instance, "oak.test")  # `fedishare peer add oak.test` on elm

    r = await post(oak, "alice", alice, BIKE)
    assert r.status_code == 201, r.text
    bike = r.json()["object"]["id"]

    async def found_near_oakfield() -> list[dict[str, Any]]:
        return await search(elm, q="bike", lat="51.50", lon="-0.12", radius="5")

    [hit] = await eventually(found_near_oakfield)
    assert hit["id"] == bike and hit["local"] is False and hit["author"] == ALICE
    assert hit["distanceKm"] < 2

    # Bob answers privately, as a Mastodon user would: a direct reply mentioning alice.
    reply = {
        "type": "Note",
        "content": "<p>@alice I would love the bike!</p>",
        "inReplyTo": bike,
        "to": [ALICE],
        "tag": [{"type": "Mention", "href": ALICE, "name": "@alice@oak.test"}],
    }
    assert (await post(elm, "bob", bob, reply)).status_code == 201
    auth = {"Authorization": f"Bearer {alice}"}

    async def bob_is_talking() -> list[dict[str, Any]]:
        r = await oak.client.get(
            f"{oak.base}/api/listings/responses", params={"id": bike}, headers=auth
        )
        return list(r.json()["conversations"])

    [talk] = await eventually(bob_is_talking)
    assert talk["responder"] == BOB and "love the bike" in talk["messages"][0]["content"]

    async def change(status: str, **extra: str) -> httpx.Response:
        body = {"type": "Update", "object": {"id": bike, "listingStatus": status, **extra}}
        return await post(oak, "alice", alice, body)

    assert (await change("reserved", reservedFor=BOB)).status_code == 201

    async def reserved_on_elm() -> bool:
        return await status_on(elm, bike) == "reserved"

    await eventually(reserved_on_elm)
    assert await found_near_oakfield() == []  # searches show open listings by default

    assert (await change("taken")).status_code == 201

    async def taken_on_elm() -> bool:
        return await status_on(elm, bike) == "taken"

    await eventually(taken_on_elm)

    assert (await post(oak, "alice", alice, {"type": "Delete", "object": bike})).status_code == 201

    async def gone_from_elm() -> bool:
        return await status_on(elm, bike) is None and await search(elm, status="any") == []

    await eventually(gone_from_elm)
    assert await search(ash, status="any") == []  # not a peer: saw none of it
