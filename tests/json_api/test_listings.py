"""The listings API as a member's app uses it: write through the outbox, read by search."""

from __future__ import annotations

import httpx
import pytest

from tests.harness import Network, Node
from tests.outbox.test_client_posts import member, post

BIKE = {
    "type": "Listing",
    "kind": "give",
    "title": "Blue one-speed bike",
    "description": "15 years old, some rust, rides fine.",
    "place": {"name": "Oakfield", "latitude": 51.5012, "longitude": -0.1234, "radius": 1},
}
STAY = {
    "type": "Listing",
    "kind": "stay",
    "purpose": "offer",
    "title": "Spare room near the park",
    "description": "A quiet room for two.",
    "place": {"name": "Oakfield", "latitude": 51.5, "longitude": -0.12, "radius": 1},
    "start": "2030-07-01",
    "end": "2030-07-20",
    "capacity": 2,
}


@pytest.fixture
async def oak(net: Network) -> Node:
    return await net.add("oak.test")


async def search(node: Node, **params: str) -> httpx.Response:
    return await node.client.get(f"{node.base}/api/listings", params=params)


async def test_create_find_reserve_take_and_delete_a_listing(oak: Node) -> None:
    alice = await member(oak, "alice")
    r = await post(oak, "alice", alice, {"type": "Create", "object": BIKE})
    assert r.status_code == 201, r.text
    create = r.json()
    note = create["object"]
    assert create["type"] == "Create" and note["type"] == "Note"
    assert note["listingKind"] == "give" and note["listingStatus"] == "open"
    listing_id = note["id"]
    assert (await oak.client.get(listing_id)).json()["name"] == "Blue one-speed bike"

    found = (await search(oak, q="bike", lat="51.5", lon="-0.12", radius="5")).json()
    assert [i["id"] for i in found["items"]] == [listing_id]
    item = found["items"][0]
    assert item["status"] == "open" and item["place"]["latitude"] == 51.5
    assert item["distanceKm"] < 5 and item["local"] is True
    assert (await search(oak, q="sofa")).json()["items"] == []
    assert (await search(oak, kind="stay")).json()["items"] == []

    bob = "http://elm.test/users/bob"
    r = await post(
        oak,
        "alice",
        alice,
        {
            "type": "Update",
            "object": {"id": listing_id, "listingStatus": "reserved", "reservedFor": bob},
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["type"] == "Update" and r.json()["object"]["listingStatus"] == "reserved"
    one = (await oak.client.get(f"{oak.base}/api/listings/one", params={"id": listing_id})).json()
    assert one["status"] == "reserved" and one["reservedFor"] == bob
    assert (await search(oak, q="bike")).json()["items"] == []  # open only, by default
    assert len((await search(oak, q="bike", status="reserved")).json()["items"]) == 1

    r = await post(
        oak,
        "alice",
        alice,
        {"type": "Update", "object": {"id": listing_id, "listingStatus": "taken"}},
    )
    assert r.status_code == 201, r.text
    r = await post(
        oak,
        "alice",
        alice,
        {"type": "Update", "object": {"id": listing_id, "listingStatus": "open"}},
    )
    assert r.status_code == 409  # a taken listing does not reopen

    r = await post(oak, "alice", alice, {"type": "Delete", "object": listing_id})
    assert r.status_code == 201 and r.json()["type"] == "Delete"
    assert (await oak.client.get(listing_id)).status_code == 410
    assert (await search(oak, status="any")).json()["items"] == []


async def test_stays_are_found_by_dates_and_party_size(oak: Node) -> None:
    alice = await member(oak, "alice")
    assert (await post(oak, "alice", alice, STAY)).status_code == 201
    hits = (
        await search(oak, kind="stay", **{"from": "2030-07-05", "to": "2030-07-08"}, party="2")
    ).json()["items"]
    assert [h["title"] for h in hits] == ["Spare room near the park"]
    assert hits[0]["capacity"] == 2 and hits[0]["start"].startswith("2030-07-01")
    for params in [
        {"from": "2030-08-01", "to": "2030-08-03"},
        {"from": "2030-07-05", "to": "2030-07-08", "party": "3"},
    ]:
        assert (await search(oak, kind="stay", **params)).json()["items"] == []


async def test_only_the_author_changes_a_listing_and_bad_input_is_refused(oak: Node) -> None:
    alice = await member(oak, "alice")
    carol = await member(oak, "carol")
    listing_id = (await post(oak, "alice", alice, BIKE)).json()["object"]["id"]
    r = await post(oak, "carol", carol, {"type": "Delete", "object": listing_id})
    assert r.status_code == 403
    for body, words in [
        ({**BIKE, "title": ""}, "title"),
        ({**BIKE, "place": {"name": "Oakfield", "latitude": 95, "longitude": 0}}, "place.latitude"),
        ({**BIKE, "kind": "swap"}, "kind"),
        ({**STAY, "end": "2030-06-01"}, "end"),
        (
            {"type": "Update", "object": {"id": listing_id, "listingStatus": "lost"}},
            "listingStatus",
        ),
        (
            {"type": "Update", "object": {"id": listing_id, "listingStatus": "reserved"}},
            "reservedFor",
        ),
    ]:
        r = await post(oak, "alice", alice, body)
        assert r.status_code == 400, (body, r.text)
        assert words in r.json()["error"]
    for params, words in [
        ({"colour": "red"}, "colour: unknown parameter"),
        ({"kind": "swap"}, "kind"),
        ({"lat": "91", "lon": "0"}, "lat"),
        ({"radius": "3"}, "radius: needs lat and lon"),
        ({"from": "2030-07-01"}, "to: required"),
        ({"order": "nearest"}, "nearest needs lat and lon"),
        ({"limit": "1000"}, "limit"),
    ]:
        r = await search(oak, **params)
        assert r.status_code == 400 and words in r.json()["error"], (params, r.text)
    assert await oak.instance.db.fetch_value("SELECT count(*) FROM listings") == 1


async def test_search_pages_newest_first(oak: Node) -> None:
    alice = await member(oak, "alice")
    for i in range(5):
        body = {**BIKE, "title": f"Bike number {i}"}
        assert (await post(oak, "alice", alice, body)).status_code == 201
    first = (await search(oak, order="newest", limit="2")).json()
    assert len(first["items"]) == 2 and first["next"]
    seen = [i["title"] for i in first["items"]]
    url = first["next"]
    for _ in range(5):
        if not url:
            break
        page = (await oak.client.get(url)).json()
        seen += [i["title"] for i in page["items"]]
        url = page["next"]
    assert sorted(seen) == [f"Bike number {i}" for i in range(5)]
