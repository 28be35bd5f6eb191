from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from fedishare.accounts.members import create_member
from fedishare.media import uploads
from fedishare.storage import actors
from tests.harness import Network, Node
from tests.media.photos import phone_jpeg

LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
AS = "application/activity+json"


@pytest.mark.parametrize("accept", [AS, LD, f"{LD}, {AS};q=0.9"])
async def test_actor_documents_are_activity_json(node: Node, accept: str) -> None:
    await create_member(node.instance.db, node.instance.clock, "alice", display_name="Alice A.")
    r = await node.client.get("http://oak.test/users/alice", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"] == AS
    assert r.headers["vary"] == "Accept"
    doc = r.json()
    aid = "http://oak.test/users/alice"
    assert "https://www.w3.org/ns/activitystreams" in doc["@context"]
    assert doc["id"] == aid and doc["type"] == "Person" and doc["url"] == aid
    assert doc["preferredUsername"] == "alice" and doc["name"] == "Alice A."
    assert doc["inbox"] == f"{aid}/inbox" and doc["outbox"] == f"{aid}/outbox"
    assert doc["followers"] == f"{aid}/followers" and doc["following"] == f"{aid}/following"
    assert doc["endpoints"] == {"sharedInbox": "http://oak.test/inbox"}
    assert doc["manuallyApprovesFollowers"] is False and doc["discoverable"] is True
    assert "summary" in doc
    assert doc["icon"]["type"] == "Image"
    icon = await node.client.get(doc["icon"]["url"])
    assert icon.headers["content-type"] == "image/png" and icon.content[:4] == b"\x89PNG"
    key = doc["publicKey"]
    assert key["id"] == f"{aid}#main-key" and key["owner"] == aid
    assert load_pem_public_key(key["publicKeyPem"].encode()).key_size == 2048


async def test_the_three_kinds_of_actor(node: Node) -> None:
    await create_member(node.instance.db, node.instance.clock, "carol", locked=True)
    kinds = {}
    for url in [
        "http://oak.test/actor",
        "http://oak.test/users/community",
        "http://oak.test/users/carol",
    ]:
        doc = (await node.client.get(url, headers={"Accept": AS})).json()
        assert doc["id"] == url
        kinds[doc["type"]] = doc
    assert set(kinds) == {"Application", "Group", "Person"}
    assert kinds["Person"]["manuallyApprovesFollowers"] is True
    assert kinds["Group"]["name"] == "Community of oak.test"
    keys = {d["publicKey"]["publicKeyPem"] for d in kinds.values()}
    assert len(keys) == 3


async def test_browsers_get_a_page_from_the_same_url(node: Node) -> None:
    await create_member(node.instance.db, node.instance.clock, "dora", display_name="<Dora>")
    r = await node.client.get(
        "http://oak.test/users/dora", headers={"Accept": "text/html,application/xhtml+xml"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "&lt;Dora&gt;" in r.text and "@dora@oak.test" in r.text
    home = await node.client.get("http://oak.test/")
    assert "@community@oak.test" in home.text


async def test_unknown_actor_is_404_and_mixed_case_redirects(node: Node) -> None:
    await create_member(node.instance.db, node.instance.clock, "erin")
    missing = await node.client.get("http://oak.test/users/nobody", headers={"Accept": AS})
    assert missing.status_code == 404
    r = await node.client.get("http://oak.test/users/ERIN", headers={"Accept": AS})
    assert r.status_code == 301 and r.headers["location"] == "http://oak.test/users/erin"


async def test_keys_and_accounts_survive_a_restart(tmp_path: object, net: Network) -> None:
    from tests.harness import network

    node = await net.add("pine.test")
    await create_member(node.instance.db, node.instance.clock, "fay")
    before = {}
    for url in [
        "http://pine.test/actor",
        "http://pine.test/users/community",
        "http://pine.test/users/fay",
    ]:
        before[url] = (await node.client.get(url, headers={"Accept": AS})).json()["publicKey"]
    await net.aclose()
    async with network(net.directory) as again:
        node2 = await again.add("pine.test")
        for url, key in before.items():
            doc = (await node2.client.get(url, headers={"Accept": AS})).json()
            assert doc["publicKey"] == key


async def test_profile_fields_header_and_bot_reach_other_servers(node: Node) -> None:
    """What a member sets from a Mastodon app (fields, header, bot) is in the actor that
    other servers fetch: fields as PropertyValues, the header as `image`, a bot a Service."""
    inst = node.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    photo = await uploads.upload(inst, alice, phone_jpeg((900, 300)), name="header.jpg")
    async with inst.db.transaction() as tx:
        await actors.set_account_settings(
            tx,
            alice.id,
            header_media_id=photo.id,
            fields=[{"name": "Bikes", "value": "fixed <free>"}],
            preferences={},
            bot=True,
            locked=False,
            discoverable=True,
        )
    r = await node.client.get(f"{node.base}/users/alice", headers={"Accept": AS})
    doc = r.json()
    assert doc["type"] == "Service"
    assert doc["attachment"] == [
        {"type": "PropertyValue", "name": "Bikes", "value": "fixed &lt;free&gt;"}
    ]
    header = (await node.client.get(doc["image"]["url"])).content
    assert header[:3] == b"\xff\xd8\xff"
