"""Accounts through the client API: the member's own (credentials, preferences), any
account (lookup, show, followers, following) and what the member does to others (follow,
block, mute, follow requests), each answer as Mastodon's schema describes it."""

from __future__ import annotations

import json

from fedishare.federation.actor_document import actor_id
from fedishare.storage import account_ids
from tests.client_api.conftest import Api
from tests.client_api.schema import check
from tests.media.photos import phone_jpeg
from tests.waiting import eventually


async def _id(api: Api, acct: str) -> str:
    found = check(
        await api.get("/api/v1/accounts/lookup", params={"acct": acct}),
        "GET",
        "/api/v1/accounts/lookup",
    )
    return str(found["id"])


async def test_credentials_are_read_and_updated(api: Api) -> None:
    me = check(
        await api.get("/api/v1/accounts/verify_credentials"),
        "GET",
        "/api/v1/accounts/verify_credentials",
    )
    assert me["username"] == "alice" and me["source"]["privacy"] == "public"
    response = await api.patch(
        "/api/v1/accounts/update_credentials",
        data={
            "display_name": "Alice A.",
            "note": "Gardener.",
            "locked": "true",
            "fields_attributes[0][name]": "Garden",
            "fields_attributes[0][value]": "Oakfield",
            "source[privacy]": "unlisted",
            "source[sensitive]": "true",
            "source[language]": "en",
        },
        files={"header": ("header.jpg", phone_jpeg((900, 300)), "image/jpeg")},
    )
    changed = check(response, "PATCH", "/api/v1/accounts/update_credentials")
    assert changed["display_name"] == "Alice A." and changed["locked"] is True
    assert [f["name"] for f in changed["fields"]] == ["Garden"]
    assert changed["source"]["privacy"] == "unlisted" and changed["source"]["sensitive"]
    assert "/media/" in changed["header"]
    prefs = check(await api.get("/api/v1/preferences"), "GET", "/api/v1/preferences")
    assert prefs["posting:default:visibility"] == "unlisted"
    assert prefs["posting:default:language"] == "en"
    # JSON as Elk sends it: only what is given changes.
    again = await api.patch("/api/v1/accounts/update_credentials", json={"bot": True})
    bot = check(again, "PATCH", "/api/v1/accounts/update_credentials")
    assert bot["bot"] is True and bot["display_name"] == "Alice A." and bot["locked"]


async def test_bad_credentials_are_refused_with_422(api: Api) -> None:
    response = await api.patch(
        "/api/v1/accounts/update_credentials", json={"source": {"privacy": "everyone"}}
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith("source[privacy]")


async def test_an_account_its_follows_and_requests(api: Api) -> None:
    carol, carol_token = await api.new_member("carol")
    carol_api = api.as_(carol_token, carol)
    await carol_api.patch("/api/v1/accounts/update_credentials", json={"locked": True})
    carol_id = await _id(api, "carol")
    shown = check(await api.get(f"/api/v1/accounts/{carol_id}"), "GET", "/api/v1/accounts/{id}")
    assert shown["acct"] == "carol" and shown["locked"] is True
    missing = await api.get("/api/v1/accounts/999999")
    assert missing.status_code == 404 and "error" in missing.json()

    asked = await api.post(f"/api/v1/accounts/{carol_id}/follow", json={"reblogs": True})
    relationship = check(asked, "POST", "/api/v1/accounts/{id}/follow")
    assert relationship["requested"] and not relationship["following"]
    requests = check(
        await carol_api.get("/api/v1/follow_requests"), "GET", "/api/v1/follow_requests"
    )
    assert [r["acct"] for r in requests] == ["alice"]
    alice_id = requests[0]["id"]
    authorized = await carol_api.post(f"/api/v1/follow_requests/{alice_id}/authorize")
    assert check(authorized, "POST", "/api/v1/follow_requests/{account_id}/authorize")[
        "followed_by"
    ]

    page = await api.get(f"/api/v1/accounts/{carol_id}/followers")
    assert [a["acct"] for a in check(page, "GET", "/api/v1/accounts/{id}/followers")] == ["alice"]
    assert 'rel="next"' in page.headers["link"]
    following = await api.get(f"/api/v1/accounts/{alice_id}/following")
    assert [a["acct"] for a in check(following, "GET", "/api/v1/accounts/{id}/following")] == [
        "carol"
    ]
    relationships = await api.get(
        "/api/v1/accounts/relationships", params=[("id[]", carol_id), ("id[]", alice_id)]
    )
    both = check(relationships, "GET", "/api/v1/accounts/relationships")
    assert [r["following"] for r in both] == [True, False]
    left = await api.post(f"/api/v1/accounts/{carol_id}/unfollow")
    assert not check(left, "POST", "/api/v1/accounts/{id}/unfollow")["following"]
    statuses = await api.get(f"/api/v1/accounts/{carol_id}/statuses", params={"limit": 5})
    assert isinstance(check(statuses, "GET", "/api/v1/accounts/{id}/statuses"), list)


async def test_relationships_answer_the_first_40_ids_in_their_order(api: Api) -> None:
    uris = [f"https://elm.test/users/u{n}" for n in range(45)]
    given = await account_ids.give(api.node.instance.db, uris)
    ids = [str(given[uri]) for uri in uris]
    asked = [("id[]", "999999"), *[("id[]", i) for i in ids], ("id[]", ids[0])]
    response = await api.get("/api/v1/accounts/relationships", params=asked)
    found = check(response, "GET", "/api/v1/accounts/relationships")
    assert [r["id"] for r in found] == ids[:39]  # 999999 (never given) was one of the 40


async def test_blocks_and_mutes_are_listed(api: Api) -> None:
    await api.new_member("carol")
    await api.new_member("dan")
    carol_id, dan_id = await _id(api, "carol"), await _id(api, "dan")
    blocked = await api.post(f"/api/v1/accounts/{carol_id}/block")
    assert check(blocked, "POST", "/api/v1/accounts/{id}/block")["blocking"]
    muted = await api.post(f"/api/v1/accounts/{dan_id}/mute", json={"duration": 600})
    assert check(muted, "POST", "/api/v1/accounts/{id}/mute")["muting"]
    blocks = check(await api.get("/api/v1/blocks"), "GET", "/api/v1/blocks")
    mutes = check(await api.get("/api/v1/mutes"), "GET", "/api/v1/mutes")
    assert [a["acct"] for a in blocks] == ["carol"] and [a["acct"] for a in mutes] == ["dan"]
    refused = await api.post(f"/api/v1/accounts/{carol_id}/follow")
    assert refused.status_code == 403
    check(
        await api.post(f"/api/v1/accounts/{carol_id}/unblock"),
        "POST",
        "/api/v1/accounts/{id}/unblock",
    )
    check(
        await api.post(f"/api/v1/accounts/{dan_id}/unmute"), "POST", "/api/v1/accounts/{id}/unmute"
    )
    assert check(await api.get("/api/v1/blocks"), "GET", "/api/v1/blocks") == []
    assert check(await api.get("/api/v1/mutes"), "GET", "/api/v1/mutes") == []


async def test_alice_finds_follows_and_blocks_bob_of_elm(api_pair: tuple[Api, Api]) -> None:
    oak, elm = api_pair
    found = await oak.get(
        "/api/v2/search", params={"q": "@bob@elm.test", "resolve": "true", "type": "accounts"}
    )
    [bob] = check(found, "GET", "/api/v2/search")["accounts"]
    assert bob["acct"] == "bob@elm.test"
    check(
        await oak.post(f"/api/v1/accounts/{bob['id']}/follow"),
        "POST",
        "/api/v1/accounts/{id}/follow",
    )

    async def following() -> bool:
        response = await oak.get("/api/v1/accounts/relationships", params={"id[]": bob["id"]})
        return bool(check(response, "GET", "/api/v1/accounts/relationships")[0]["following"])

    await eventually(following)
    blocked = await oak.post(f"/api/v1/accounts/{bob['id']}/block")
    relationship = check(blocked, "POST", "/api/v1/accounts/{id}/block")
    assert relationship["blocking"] and not relationship["following"]
    alice = actor_id(oak.node.instance.urls, oak.member)

    async def block_arrived() -> bool:
        rows = await elm.node.instance.db.fetch_all(
            "SELECT body FROM inbox_items WHERE actor = ?", (alice,)
        )
        return any(json.loads(r["body"])["type"] == "Block" for r in rows)

    await eventually(block_arrived)


async def test_avatar_and_header_are_removed_back_to_the_defaults(api: Api) -> None:
    files = {
        "avatar": ("me.jpg", phone_jpeg((400, 400)), "image/jpeg"),
        "header": ("header.jpg", phone_jpeg((900, 300)), "image/jpeg"),
    }
    r = await api.patch("/api/v1/accounts/update_credentials", files=files)
    changed = check(r, "PATCH", "/api/v1/accounts/update_credentials")
    assert "/static/" not in changed["header"] and "/avatars/" not in changed["avatar"]
    for which in ("avatar", "header"):
        r = await api.delete(f"/api/v1/profile/{which}")
        check(r, "DELETE", f"/api/v1/profile/{which}")
    me = check(
        await api.get("/api/v1/accounts/verify_credentials"),
        "GET",
        "/api/v1/accounts/verify_credentials",
    )
    assert me["header"].endswith("/static/header.png")
    assert "/avatars/" in me["avatar"]
    assert (await api.delete("/api/v1/profile/other")).status_code in (404, 405)
