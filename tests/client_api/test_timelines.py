"""GET /api/v1/timelines/home, /public and /tag/:hashtag, and reading one status (show,
context, favourited_by, reblogged_by), each answer validated against Mastodon's schema;
and a member on elm who follows oak's community and one of its members sees oak's listing
(as the community's boost) and note in their home timeline and under #offer."""

from __future__ import annotations

from typing import Any

from fedishare.core.activitystreams import PUBLIC
from fedishare.follows.following import follow_actor
from fedishare.listings.service import create_listing
from fedishare.statuses.posting import Draft, post_status
from fedishare.storage import objects
from fedishare.storage import statuses as index
from tests.client_api.conftest import Api
from tests.client_api.schema import check
from tests.listings.factory import draft
from tests.waiting import eventually

BOB = "http://elm.test/users/bob"


async def _remote_note(api: Api, number: int, to: list[str], **more: Any) -> int:
    inst = api.node.instance
    uri = f"{BOB}/statuses/{number}"
    doc = {
        "id": uri,
        "type": "Note",
        "attributedTo": BOB,
        "content": f"<p>note {number}</p>",
        "to": to,
        "cc": [],
        "published": "2026-01-01T10:00:00Z",
    } | more
    async with inst.db.transaction() as tx:
        await objects.insert(
            tx, doc, attributed_to=BOB, published=f"2026-01-01T10:00:{number:02d}Z"
        )
    row = await index.by_uri(inst.db, uri)
    assert row is not None
    return row.id


def _ids(body: list[dict[str, Any]]) -> list[str]:
    return [s["id"] for s in body]


async def test_public_timeline_pages_with_links_and_needs_no_token(api: Api) -> None:
    ids = [str(await _remote_note(api, n, [PUBLIC])) for n in range(5)][::-1]
    await _remote_note(api, 9, [api.base + "/users/alice"])  # direct: never public
    anonymous = await api.node.client.get(f"{api.base}/api/v1/timelines/public?limit=2")
    assert _ids(check(anonymous, "GET", "/api/v1/timelines/public")) == ids[:2]
    link = anonymous.headers["link"]
    assert f"max_id={ids[1]}" in link and f"min_id={ids[0]}" in link
    nxt = await api.get(f"/api/v1/timelines/public?limit=2&max_id={ids[1]}")
    assert _ids(check(nxt, "GET", "/api/v1/timelines/public")) == ids[2:4]
    up = await api.get(f"/api/v1/timelines/public?limit=2&min_id={ids[4]}")
    assert _ids(check(up, "GET", "/api/v1/timelines/public")) == ids[2:4]
    since = await api.get(f"/api/v1/timelines/public?since_id={ids[1]}")
    assert _ids(check(since, "GET", "/api/v1/timelines/public")) == ids[:1]
    local = await api.get("/api/v1/timelines/public?local=true")
    assert check(local, "GET", "/api/v1/timelines/public") == []
    remote = await api.get("/api/v1/timelines/public?remote=true&only_media=true")
    assert check(remote, "GET", "/api/v1/timelines/public") == []
    bad = await api.node.client.get(
        f"{api.base}/api/v1/timelines/public", headers={"Authorization": "Bearer nope"}
    )
    check(bad, "GET", "/api/v1/timelines/public")
    assert bad.status_code == 401


async def test_home_needs_a_member_and_shows_who_they_follow(api: Api) -> None:
    r = await api.node.client.get(f"{api.base}/api/v1/timelines/home")
    assert r.status_code == 401
    check(r, "GET", "/api/v1/timelines/home")
    inst = api.node.instance
    mine = await post_status(inst, api.member, Draft(text="hello #Garden"))
    stranger = await _remote_note(api, 1, [PUBLIC])
    home = await api.get("/api/v1/timelines/home")
    assert _ids(check(home, "GET", "/api/v1/timelines/home")) == [str(mine.id)]
    tagged = await api.get("/api/v1/timelines/tag/garden")
    assert _ids(check(tagged, "GET", "/api/v1/timelines/tag/{hashtag}")) == [str(mine.id)]
    none = await api.get("/api/v1/timelines/tag/garden?none[]=Garden")
    assert check(none, "GET", "/api/v1/timelines/tag/{hashtag}") == []
    either = await api.get("/api/v1/timelines/tag/nothing?any[]=garden")
    assert _ids(check(either, "GET", "/api/v1/timelines/tag/{hashtag}")) == [str(mine.id)]
    assert str(stranger) not in _ids(home.json())


async def test_a_status_its_context_and_who_reacted(api: Api) -> None:
    root = await _remote_note(api, 1, [PUBLIC])
    reply = await post_status(api.node.instance, api.member, Draft(text="yes", in_reply_to_id=root))
    secret = await _remote_note(api, 2, ["http://elm.test/users/zed"])
    shown = await api.get(f"/api/v1/statuses/{root}")
    assert check(shown, "GET", "/api/v1/statuses/{id}")["id"] == str(root)
    for missing in (secret, 12345, "abc"):
        r = await api.get(f"/api/v1/statuses/{missing}")
        assert r.status_code == 404
        check(r, "GET", "/api/v1/statuses/{id}")
    context = check(
        await api.get(f"/api/v1/statuses/{reply.id}/context"),
        "GET",
        "/api/v1/statuses/{id}/context",
    )
    assert _ids(context["ancestors"]) == [str(root)] and context["descendants"] == []
    context = check(
        await api.get(f"/api/v1/statuses/{root}/context"),
        "GET",
        "/api/v1/statuses/{id}/context",
    )
    assert _ids(context["descendants"]) == [str(reply.id)]
    fav = await api.post(f"/api/v1/statuses/{root}/favourite")
    assert fav.status_code == 200, fav.text
    by = await api.get(f"/api/v1/statuses/{root}/favourited_by")
    accounts = check(by, "GET", "/api/v1/statuses/{id}/favourited_by")
    assert [a["username"] for a in accounts] == ["alice"]
    boosted = await api.get(f"/api/v1/statuses/{root}/reblogged_by")
    assert check(boosted, "GET", "/api/v1/statuses/{id}/reblogged_by") == []


async def test_elm_member_sees_oak_listing_and_notes_in_home_and_under_offer(
    api_pair: tuple[Api, Api],
) -> None:
    oak, elm = api_pair
    oak_inst, elm_inst = oak.node.instance, elm.node.instance
    carol, _ = await oak.new_member("carol")
    community = f"{oak.base}/users/{oak_inst.config.community.handle}"
    await follow_actor(elm_inst, elm.member, community)
    await follow_actor(elm_inst, elm.member, f"{oak.base}/users/carol")
    elm_inst.wake_delivery.set()

    async def following() -> bool:
        rows = await elm_inst.db.fetch_all(
            "SELECT 1 FROM follows WHERE follower = ? AND state = 'accepted'",
            (f"{elm.base}/users/bob",),
        )
        return len(rows) == 2

    await eventually(following)
    change = await create_listing(oak_inst, oak.member, draft(purpose="offer"))
    note = await post_status(oak_inst, carol, Draft(text="Lovely day"))
    oak_inst.wake_delivery.set()

    async def home() -> list[dict[str, Any]] | None:
        r = await elm.get("/api/v1/timelines/home")
        body: list[dict[str, Any]] = check(r, "GET", "/api/v1/timelines/home")
        return body if len(body) == 2 else None

    body = await eventually(home)
    boost = next(s for s in body if s["reblog"] is not None)
    assert boost["account"]["acct"] == f"{oak_inst.config.community.handle}@oak.test"
    assert boost["reblog"]["uri"] == change.listing.id
    assert boost["reblog"]["account"]["acct"] == "alice@oak.test"
    plain = next(s for s in body if s["reblog"] is None)
    assert plain["uri"] == note.uri and plain["account"]["acct"] == "carol@oak.test"
    tagged = await elm.get("/api/v1/timelines/tag/offer")
    found = check(tagged, "GET", "/api/v1/timelines/tag/{hashtag}")
    assert [s["uri"] for s in found] == [change.listing.id]
    at_home = await oak.get("/api/v1/timelines/tag/offer?local=true")
    local = check(at_home, "GET", "/api/v1/timelines/tag/{hashtag}")
    assert [s["uri"] for s in local] == [change.listing.id]
