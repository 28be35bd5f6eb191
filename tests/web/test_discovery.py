from __future__ import annotations

import pytest

from fedishare.accounts.members import create_member
from tests.harness import Network, Node

AS = "application/activity+json"


async def test_webfinger_round_trip_as_mastodon_does_it(node: Node) -> None:
    inst = node.instance
    await create_member(inst.db, inst.clock, "Alice")
    # 1. acct -> actor link, user part matched case-insensitively
    r = await node.client.get(
        "http://oak.test/.well-known/webfinger", params={"resource": "acct:ALICE@oak.test"}
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/jrd+json"
    assert r.headers["access-control-allow-origin"] == "*"
    jrd = r.json()
    assert jrd["subject"] == "acct:Alice@oak.test"
    self_link = next(link for link in jrd["links"] if link["rel"] == "self")
    assert self_link["type"] == AS
    # 2. the actor, whose id equals the link byte for byte
    actor = (await node.client.get(self_link["href"], headers={"Accept": AS})).json()
    assert actor["id"] == self_link["href"]
    # 3. preferredUsername@host-of-id resolves to the same actor
    again = await node.client.get(
        "http://oak.test/.well-known/webfinger",
        params={"resource": f"acct:{actor['preferredUsername']}@oak.test"},
    )
    assert next(x for x in again.json()["links"] if x["rel"] == "self")["href"] == actor["id"]


async def test_webfinger_finds_the_community_and_the_instance_actor(node: Node) -> None:
    for resource, expected in [
        ("acct:community@oak.test", "http://oak.test/users/community"),
        ("acct:oak.test@oak.test", "http://oak.test/actor"),
        ("http://oak.test/users/community", "http://oak.test/users/community"),
    ]:
        r = await node.client.get(
            "http://oak.test/.well-known/webfinger", params={"resource": resource}
        )
        assert r.status_code == 200, resource
        assert next(x for x in r.json()["links"] if x["rel"] == "self")["href"] == expected


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"resource": ""}, 400),
        ({"resource": "acct:"}, 400),
        ({"resource": "acct:alice"}, 400),
        ({"resource": "acct:alice@elsewhere.test"}, 404),
        ({"resource": "mailto:alice@oak.test"}, 400),
        ({"resource": "acct:nobody@oak.test"}, 404),
    ],
)
async def test_webfinger_refusals(node: Node, params: dict[str, str], status: int) -> None:
    r = await node.client.get("http://oak.test/.well-known/webfinger", params=params)
    assert r.status_code == status
    assert r.json()["error"]


async def test_webfinger_hides_disabled_members(node: Node) -> None:
    from fedishare.accounts.members import set_member_disabled

    await create_member(node.instance.db, node.instance.clock, "bob")
    await set_member_disabled(node.instance.db, "bob", True)
    r = await node.client.get(
        "http://oak.test/.well-known/webfinger", params={"resource": "acct:bob@oak.test"}
    )
    assert r.status_code == 404
    actor = await node.client.get("http://oak.test/users/bob", headers={"Accept": AS})
    assert actor.status_code == 410


async def test_host_meta_points_at_webfinger(node: Node) -> None:
    r = await node.client.get("http://oak.test/.well-known/host-meta")
    assert r.headers["content-type"].startswith("application/xrd+xml")
    assert 'template="http://oak.test/.well-known/webfinger?resource={uri}"' in r.text


async def test_nodeinfo_2_0_and_2_1(net: Network) -> None:
    node = await net.add("elm.test", registration={"policy": "open"})
    await create_member(node.instance.db, node.instance.clock, "alice")
    await create_member(node.instance.db, node.instance.clock, "bob")
    index = (await node.client.get("http://elm.test/.well-known/nodeinfo")).json()
    hrefs = {link["rel"].rsplit("/", 1)[1]: link["href"] for link in index["links"]}
    assert hrefs == {"2.0": "http://elm.test/nodeinfo/2.0", "2.1": "http://elm.test/nodeinfo/2.1"}
    for version, href in hrefs.items():
        r = await node.client.get(href)
        assert r.status_code == 200
        assert f"nodeinfo.diaspora.software/ns/schema/{version}#" in r.headers["content-type"]
        info = r.json()
        assert info["version"] == version
        assert info["software"]["name"] == "fedishare"
        assert info["software"]["version"]
        assert info["protocols"] == ["activitypub"]
        assert info["openRegistrations"] is True
        assert info["usage"]["users"]["total"] == 2
        assert info["usage"]["localPosts"] == 0
    assert (await node.client.get("http://elm.test/nodeinfo/1.0")).status_code == 404


async def test_nodeinfo_reports_closed_registrations(net: Network) -> None:
    node = await net.add("ash.test", registration={"policy": "approval"})
    info = (await node.client.get("http://ash.test/nodeinfo/2.1")).json()
    assert info["openRegistrations"] is False
    assert info["metadata"]["registrationPolicy"] == "approval"


async def test_nodeinfo_counts_local_listings_still_up(node: Node) -> None:
    from fedishare.listings import service
    from tests.listings.factory import draft

    alice = await create_member(node.instance.db, node.instance.clock, "alice")
    bike = await service.create_listing(node.instance, alice, draft())
    await service.create_listing(node.instance, alice, draft())
    await service.delete_listing(node.instance, alice, bike.listing.id)
    info = (await node.client.get("http://oak.test/nodeinfo/2.1")).json()
    assert info["usage"]["localPosts"] == 1 and info["metadata"]["listings"] == 1
