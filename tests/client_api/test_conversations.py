"""/api/v1/conversations: the private conversations about listings, on both sides, with the
other party, the latest status, unread until read, and hidden until the next message."""

from __future__ import annotations

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
