"""Members' apps posting to their outbox with a bearer token, across two instances."""

from __future__ import annotations

import httpx
import pytest

from fedishare.accounts.members import create_member
from fedishare.core.activitystreams import PUBLIC
from fedishare.storage import actors as actor_store
from fedishare.storage import tokens
from tests.harness import Network, Node
from tests.waiting import eventually

AS = "application/activity+json"


async def member(node: Node, name: str) -> str:
    inst = node.instance
    actor = await create_member(inst.db, inst.clock, name)
    return await tokens.issue(inst.db, actor.id, inst.clock())


async def post(node: Node, name: str, token: str, body: object) -> httpx.Response:
    return await node.client.post(
        f"{node.base}/users/{name}/outbox",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": AS},
    )


async def collection_items(node: Node, url: str) -> list[object]:
    first = (await node.client.get(url, headers={"Accept": AS})).json()["first"]
    return list((await node.client.get(first, headers={"Accept": AS})).json()["orderedItems"])


@pytest.fixture
async def pair(net: Network) -> tuple[Node, Node]:
    return await net.add("oak.test"), await net.add("elm.test")


async def test_follow_by_handle_is_accepted_and_listed_on_both_sides(
    pair: tuple[Node, Node],
) -> None:
    a, b = pair
    alice = await member(a, "alice")
    await member(b, "bob")
    r = await post(a, "alice", alice, {"type": "Follow", "object": "@bob@elm.test"})
    assert r.status_code == 201, r.text
    follow = r.json()
    assert follow["type"] == "Follow" and follow["object"] == "http://elm.test/users/bob"
    assert r.headers["location"] == follow["id"]

    async def accepted() -> bool:
        items = await collection_items(a, "http://oak.test/users/alice/following")
        return items == ["http://elm.test/users/bob"]

    await eventually(accepted)
    followers = await collection_items(b, "http://elm.test/users/bob/followers")
    assert followers == ["http://oak.test/users/alice"]

    undo = await post(a, "alice", alice, {"type": "Undo", "object": follow["id"]})
    assert undo.status_code == 201, undo.text
    assert undo.json()["object"]["id"] == follow["id"]

    async def gone() -> bool:
        return await collection_items(b, "http://elm.test/users/bob/followers") == []

    await eventually(gone)
    assert await collection_items(a, "http://oak.test/users/alice/following") == []


async def test_a_note_gets_ids_is_stored_delivered_and_dereferenceable(
    pair: tuple[Node, Node],
) -> None:
    a, b = pair
    alice = await member(a, "alice")
    bob = await member(b, "bob")
    r = await post(b, "bob", bob, {"type": "Follow", "object": "http://oak.test/users/alice"})
    assert r.status_code == 201, r.text

    async def followed() -> bool:
        items = await collection_items(a, "http://oak.test/users/alice/followers")
        return items == ["http://elm.test/users/bob"]

    await eventually(followed)
    note = {"type": "Note", "content": "<p>Anyone need a ladder?</p>", "id": "ignored"}
    r = await post(a, "alice", alice, note)
    assert r.status_code == 201, r.text
    create = r.json()
    obj = create["object"]
    assert create["type"] == "Create" and create["actor"] == "http://oak.test/users/alice"
    assert obj["id"].startswith("http://oak.test/objects/") and obj["id"] != "ignored"
    assert obj["attributedTo"] == "http://oak.test/users/alice" and obj["published"]
    assert obj["to"] == [PUBLIC] and obj["cc"] == ["http://oak.test/users/alice/followers"]
    fetched = await a.client.get(obj["id"], headers={"Accept": AS})
    assert fetched.status_code == 200 and fetched.json()["content"] == note["content"]
    outbox = await collection_items(a, "http://oak.test/users/alice/outbox")
    assert [item["id"] for item in outbox] == [create["id"]]  # type: ignore[index]

    async def received() -> bool:
        value = await b.instance.db.fetch_value(
            "SELECT count(*) FROM inbox_items WHERE activity_id = ?", (create["id"],)
        )
        return bool(value)

    await eventually(received)


async def test_refusals(pair: tuple[Node, Node]) -> None:
    a, _ = pair
    alice = await member(a, "alice")
    carol = await member(a, "carol")
    url = "http://oak.test/users/alice/outbox"
    note = {"type": "Note", "content": "hi"}
    assert (await a.client.post(url, json=note)).status_code == 401
    assert (await post(a, "alice", "wrong", note)).status_code == 401
    assert (await post(a, "alice", carol, note)).status_code == 403
    bad_json = await a.client.post(url, content=b"{", headers={"Authorization": f"Bearer {alice}"})
    assert bad_json.status_code == 400 and bad_json.json()["error"]
    for body, status in [
        ({"type": "Like", "object": "http://x.test/1"}, 400),
        ({"type": "Note"}, 400),
        ({"type": "Note", "content": "x" * 6000}, 400),
        ({"type": "Create", "object": "http://x.test/1"}, 400),
        ({"type": "Follow", "object": "@nobody@oak.test"}, 422),
        ({"type": "Follow", "object": "@someone@unreachable.test"}, 422),
        ({"type": "Undo", "object": "http://oak.test/activities/unknown"}, 400),
    ]:
        r = await post(a, "alice", alice, body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]
    assert await a.instance.db.fetch_value("SELECT count(*) FROM outbox_activities") == 0
    assert await a.instance.db.fetch_value("SELECT count(*) FROM objects") == 0


async def _token(node: Node, name: str, scopes: list[str]) -> str:
    inst = node.instance
    found = await actor_store.find_by_username(inst.db, name)
    assert found is not None
    async with inst.db.transaction() as tx:
        return await tokens.insert(
            tx, actor_id=found.id, app_id=None, scopes=scopes, now=inst.clock().timestamp()
        )


async def test_a_token_posts_only_what_its_scopes_grant(pair: tuple[Node, Node]) -> None:
    a, b = pair
    every = await member(a, "alice")
    await member(b, "bob")
    read_only = await _token(a, "alice", ["read"])
    follows_only = await _token(a, "alice", ["write:follows"])
    note = {"type": "Note", "content": "hi", "to": [PUBLIC]}
    follow = {"type": "Follow", "object": "@bob@elm.test"}
    for token, body in [(read_only, note), (read_only, follow), (follows_only, note)]:
        refused = await post(a, "alice", token, body)
        assert refused.status_code == 403, (body, refused.text)
        assert refused.json() == {"error": "This action is outside the authorized scopes"}
    refused_message = await a.client.post(
        "http://oak.test/api/listings/messages",
        json={"listing": "x", "responder": "y", "content": "z"},
        headers={"Authorization": f"Bearer {read_only}"},
    )
    assert refused_message.status_code == 403
    assert await a.instance.db.fetch_value("SELECT count(*) FROM outbox_activities") == 0
    assert (await post(a, "alice", follows_only, follow)).status_code == 201
    assert (await post(a, "alice", every, note)).status_code == 201


async def test_collections_page_through_many_followers(pair: tuple[Node, Node]) -> None:
    from fedishare.storage import follows

    a, _ = pair
    await member(a, "alice")
    aid = "http://oak.test/users/alice"
    async with a.instance.db.transaction() as tx:
        for i in range(45):
            await follows.upsert(
                tx, f"http://f{i}.test/u", aid, f"http://f{i}.test/f", "accepted", "t"
            )
        await follows.upsert(tx, "http://pending.test/u", aid, "http://p.test/f", "pending", "t")
    top = (await a.client.get(f"{aid}/followers", headers={"Accept": AS})).json()
    assert top["type"] == "OrderedCollection" and top["totalItems"] == 45
    seen: list[str] = []
    url: str | None = top["first"]
    pages = 0
    while url and pages < 10:
        page = (await a.client.get(url, headers={"Accept": AS})).json()
        assert page["type"] == "OrderedCollectionPage" and page["partOf"] == f"{aid}/followers"
        seen += page["orderedItems"]
        url = page.get("next")
        pages += 1
    assert pages == 3 and len(set(seen)) == 45 and "http://pending.test/u" not in seen
    bad = await a.client.get(f"{aid}/followers?page=0")
    assert bad.status_code == 400


async def test_a_locked_member_answers_follow_requests_from_their_app(
    pair: tuple[Node, Node],
) -> None:
    a, b = pair
    inst = a.instance
    carol_actor = await create_member(inst.db, inst.clock, "carol", locked=True)
    carol = await tokens.issue(inst.db, carol_actor.id, inst.clock())
    bob = await member(b, "bob")
    dan = await member(b, "dan")
    for name, token in (("bob", bob), ("dan", dan)):
        r = await post(b, name, token, {"type": "Follow", "object": "@carol@oak.test"})
        assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {carol}"}

    async def both_waiting() -> list[str]:
        r = await a.client.get("http://oak.test/api/follow_requests", headers=auth)
        return sorted(r.json()["requests"]) if len(r.json()["requests"]) == 2 else []

    assert await eventually(both_waiting) == [
        "http://elm.test/users/bob",
        "http://elm.test/users/dan",
    ]
    r = await post(a, "carol", carol, {"type": "Accept", "object": "http://elm.test/users/bob"})
    assert r.status_code == 201, r.text
    assert (
        r.json()["type"] == "Accept" and r.json()["object"]["actor"] == "http://elm.test/users/bob"
    )
    r = await post(a, "carol", carol, {"type": "Reject", "object": "http://elm.test/users/dan"})
    assert r.status_code == 201, r.text
    again = await post(a, "carol", carol, {"type": "Accept", "object": "http://elm.test/users/dan"})
    assert again.status_code == 404

    async def bob_in_dan_out() -> bool:
        bobs = await collection_items(b, "http://elm.test/users/bob/following")
        dans = await collection_items(b, "http://elm.test/users/dan/following")
        return bobs == ["http://oak.test/users/carol"] and dans == []

    await eventually(bob_in_dan_out)
    assert await collection_items(a, "http://oak.test/users/carol/followers") == [
        "http://elm.test/users/bob"
    ]
    assert (await a.client.get("http://oak.test/api/follow_requests")).status_code == 401
