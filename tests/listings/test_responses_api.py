"""The author's responses API over HTTP: read conversations, write privately, answer."""

from __future__ import annotations

from fedishare.storage import tokens
from tests.harness import Network
from tests.listings.responses_support import conversation, objects_to, world
from tests.waiting import eventually


async def test_author_reads_writes_and_answers_through_the_api(net: Network) -> None:
    w = await world(net)
    oak = w.oak
    token = await tokens.issue(oak.instance.db, w.alice.id, oak.instance.clock())
    auth = {"Authorization": f"Bearer {token}"}
    bob = await w.member("bob")
    carol = await w.member("carol")
    listing = await w.listing()
    await w.reply("bob", listing, "Is it still there?")
    await w.reply("carol", listing, "Lovely!", public=True)
    await eventually(lambda: conversation(oak, listing, bob))

    async def both_seen() -> object:
        r = await oak.client.get(
            "http://oak.test/api/listings/responses", params={"id": listing}, headers=auth
        )
        body = r.json()
        return body if body["conversations"] and body["comments"] else None

    body = await eventually(both_seen)
    [talk] = body["conversations"]
    assert talk["responder"] == bob and talk["messages"][0]["direction"] == "in"
    assert "still there" in talk["messages"][0]["content"]
    assert [c["author"] for c in body["comments"]] == [carol]
    public = await oak.client.get("http://oak.test/api/listings/comments", params={"id": listing})
    assert [c["author"] for c in public.json()["comments"]] == [carol]

    r = await oak.client.post(
        "http://oak.test/api/listings/messages",
        json={"listing": listing, "responder": bob, "content": "<p>Yes, come by at six</p>"},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    assert r.json()["object"]["to"] == [bob]

    async def bob_got_it() -> bool:
        return any("come by at six" in o["content"] for o in await objects_to(w.elm, bob))

    await eventually(bob_got_it)

    r = await oak.client.post(
        "http://oak.test/api/listings/answers",
        json={"listing": listing, "responder": bob, "decision": "accept"},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    bad = await oak.client.post(
        "http://oak.test/api/listings/answers",
        json={"listing": listing, "responder": bob, "decision": "maybe"},
        headers=auth,
    )
    assert bad.status_code == 400 and "decision" in bad.json()["error"]
    anonymous = await oak.client.get(
        "http://oak.test/api/listings/responses", params={"id": listing}
    )
    assert anonymous.status_code == 401
