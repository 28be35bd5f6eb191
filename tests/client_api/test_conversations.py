"""/api/v1/conversations: the private conversations about listings, on both sides, with the
other party, the latest status, unread until read, and hidden until the next message."""

from __future__ import annotations

from typing import Any

from fedishare.listings import answering, conversations, service
from tests.client_api.conftest import Api
from tests.client_api.schema import check
from tests.listings.factory import draft

C = "/api/v1/conversations"


async def test_a_conversation_on_both_sides(api: Api) -> None:
    inst = api.node.instance
    carol, carol_token = await api.new_member("carol")
    as_carol = api.as_(carol_token, carol)
    change = await service.create_listing(inst, api.member, draft())
    listing = change.listing.id
    await answering.answer_listing(inst, carol, listing, "<p>Is the bike still there?</p>")

    [mine] = check(await api.get(C), "GET", C)
    assert mine["unread"] is True
    assert [a["acct"] for a in mine["accounts"]] == ["carol"]
    assert "Is the bike still there?" in mine["last_status"]["content"]
    assert mine["last_status"]["visibility"] == "direct"
    [theirs] = check(await as_carol.get(C), "GET", C)
    assert theirs["id"] == mine["id"] and theirs["unread"] is False
    assert [a["acct"] for a in theirs["accounts"]] == ["alice"]

    read = check(await api.post(f"{C}/{mine['id']}/read"), "POST", f"{C}/{{id}}/read")
    assert read["unread"] is False and read["id"] == mine["id"]
    assert check(await api.get(C), "GET", C)[0]["unread"] is False

    r = await api.delete(f"{C}/{mine['id']}")
    check(r, "DELETE", f"{C}/{{id}}")
    assert check(await api.get(C), "GET", C) == []
    assert len(check(await as_carol.get(C), "GET", C)) == 1  # hers stays

    _, dave_token = await api.new_member("dave")
    r = await api.as_(dave_token).post(f"{C}/{mine['id']}/read")
    assert r.status_code == 404
    check(r, "POST", f"{C}/{{id}}/read")


async def test_the_author_answers_and_the_responder_sees_it_unread(api: Api) -> None:
    inst = api.node.instance
    carol, carol_token = await api.new_member("carol")
    as_carol = api.as_(carol_token, carol)
    listing = (await service.create_listing(inst, api.member, draft())).listing.id
    await answering.answer_listing(inst, carol, listing, "<p>Still there?</p>")
    await conversations.send_message(
        inst, api.member, listing, "http://oak.test/users/carol", "<p>Yes, come by</p>"
    )
    [theirs] = check(await as_carol.get(C), "GET", C)
    assert theirs["unread"] is True
    assert "Yes, come by" in theirs["last_status"]["content"]
    first = await as_carol.get(C, params={"limit": 1})
    assert first.links["next"]["url"].endswith(f"max_id={theirs['last_status']['id']}")
    assert check(await as_carol.get(first.links["next"]["url"]), "GET", C) == []


async def direct(api: Api, text: str, reply_to: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": text, "visibility": "direct"}
    if reply_to is not None:
        body["in_reply_to_id"] = reply_to
    r = await api.post("/api/v1/statuses", json=body)
    assert r.status_code == 200, r.text
    return dict(check(r, "POST", "/api/v1/statuses"))


def accts(conversation: dict[str, Any]) -> list[str]:
    return sorted(a["acct"] for a in conversation["accounts"])


async def test_a_direct_thread_is_a_conversation_beside_listing_ones(api: Api) -> None:
    inst = api.node.instance
    carol, carol_token = await api.new_member("carol")
    as_carol = api.as_(carol_token, carol)
    dave, dave_token = await api.new_member("dave")
    as_dave = api.as_(dave_token, dave)
    listing = (await service.create_listing(inst, api.member, draft())).listing.id
    await answering.answer_listing(inst, carol, listing, "<p>Is the bike still there?</p>")
    first = await direct(api, "@carol @dave dinner on Friday?")

    talk, about_listing = check(await api.get(C), "GET", C)
    assert talk["last_status"]["id"] == first["id"] and talk["unread"] is False
    assert (
        accts(talk) == ["carol", "dave"]
        and "Is the bike" in about_listing["last_status"]["content"]
    )
    assert talk["id"] != about_listing["id"] and int(talk["id"]) >= 1 << 48
    [for_dave] = check(await as_dave.get(C), "GET", C)
    assert for_dave["id"] == talk["id"] and for_dave["unread"] is True
    assert accts(for_dave) == ["alice", "carol"]

    # A reply stays in the conversation (same id for everyone), the newest its last status.
    reply = await direct(as_dave, "@alice @carol yes!", reply_to=first["id"])
    [talk, _] = check(await api.get(C), "GET", C)
    assert talk["id"] == for_dave["id"] and talk["last_status"]["id"] == reply["id"]
    assert talk["unread"] is True
    [for_dave] = check(await as_dave.get(C), "GET", C)
    assert for_dave["unread"] is False  # the newest is his own

    read = check(await api.post(f"{C}/{talk['id']}/read"), "POST", f"{C}/{{id}}/read")
    assert read["unread"] is False and read["id"] == talk["id"]
    assert check(await api.get(C), "GET", C)[0]["unread"] is False

    # Removed: gone until the next status of the thread, which comes back unread.
    check(await api.delete(f"{C}/{talk['id']}"), "DELETE", f"{C}/{{id}}")
    assert [c["id"] for c in check(await api.get(C), "GET", C)] == [about_listing["id"]]
    assert len(check(await as_carol.get(C), "GET", C)) == 2  # hers stays
    again = await direct(as_carol, "@alice @dave I'll bring pie", reply_to=reply["id"])
    [talk, _] = check(await api.get(C), "GET", C)
    assert talk["last_status"]["id"] == again["id"] and talk["unread"] is True

    _, erin_token = await api.new_member("erin")
    r = await api.as_(erin_token).post(f"{C}/{talk['id']}/read")
    assert r.status_code == 404
    check(r, "POST", f"{C}/{{id}}/read")
    r = await api.as_(erin_token).delete(f"{C}/{talk['id']}")
    assert r.status_code == 404


async def test_direct_threads_are_paged_by_their_latest_status(api: Api) -> None:
    carol, carol_token = await api.new_member("carol")
    as_carol = api.as_(carol_token, carol)
    await api.new_member("dave")
    old = await direct(api, "@carol first")
    await direct(api, "@dave second")
    await direct(as_carol, "@alice third", reply_to=old["id"])  # the first thread moves up
    page = await api.get(C, params={"limit": 1})
    [top] = check(page, "GET", C)
    assert accts(top) == ["carol"]
    [below] = check(await api.get(page.links["next"]["url"]), "GET", C)
    assert accts(below) == ["dave"]
