"""Posting and acting on statuses through the client API, as an app does it."""

from __future__ import annotations

from typing import Any

from fedishare.oauth import apps
from fedishare.storage import actors as actor_store
from fedishare.storage import listings as listing_store
from fedishare.storage import objects as object_store
from fedishare.storage import statuses as status_index
from fedishare.storage import tokens
from fedishare.storage.peers import followed_locally
from tests.client_api.conftest import Api
from tests.client_api.schema import check
from tests.waiting import eventually

STATUSES = "/api/v1/statuses"


async def set_place(api: Api, name: str = "Oakfield") -> None:
    inst = api.node.instance
    async with inst.db.transaction() as tx:
        await actor_store.set_default_place(tx, api.member.id, {"name": name})


async def post(api: Api, **body: Any) -> Any:
    r = await api.post(STATUSES, json=body)
    return check(r, "POST", STATUSES)


async def test_a_post_is_a_note_with_its_mentions_tags_and_warning(api: Api) -> None:
    await api.new_member("carol")
    status = await post(
        api, status="Hello @carol, see #Garden", spoiler_text="plants", visibility="unlisted"
    )
    assert status["visibility"] == "unlisted"
    assert status["spoiler_text"] == "plants" and status["sensitive"] is True
    assert [m["acct"] for m in status["mentions"]] == ["carol"]
    assert [t["name"] for t in status["tags"]] == ["garden"]
    assert 'class="u-url mention"' in status["content"]
    assert status["account"]["username"] == "alice"


async def test_form_and_json_post_alike_and_replies_link_up(api: Api) -> None:
    first = check(await api.post(STATUSES, data={"status": "first"}), "POST", STATUSES)
    reply = await post(api, status="second", in_reply_to_id=first["id"])
    assert reply["in_reply_to_id"] == first["id"]
    assert reply["in_reply_to_account_id"] == first["account"]["id"]


async def test_an_idempotency_key_returns_the_same_status(api: Api) -> None:
    headers = {"Idempotency-Key": "abc-123"}
    one = check(
        await api.post(STATUSES, json={"status": "once"}, headers=headers), "POST", STATUSES
    )
    two = check(
        await api.post(STATUSES, json={"status": "once"}, headers=headers), "POST", STATUSES
    )
    other = await post(api, status="once")
    assert one["id"] == two["id"] != other["id"]


async def test_refusals_say_why(api: Api) -> None:
    for body, reason in [
        ({"status": ""}, "blank"),
        ({"status": "x", "poll": {"options": ["a", "b"], "expires_in": 300}}, "polls"),
        ({"status": "x", "scheduled_at": "2030-01-01T00:00:00Z"}, "scheduled"),
        ({"status": "x", "visibility": "secret"}, "visibility"),
        ({"status": "x", "media_ids": ["999"]}, "media_ids"),
    ]:
        r = await api.post(STATUSES, json=body)
        assert reason in check(r, "POST", STATUSES)["error"], body
        assert r.status_code == 422
    r = await api.post(STATUSES, json={"status": "x", "in_reply_to_id": "12345"})
    assert r.status_code == 404


async def test_edit_source_history_and_delete(api: Api) -> None:
    status = await post(api, status="frist #typo")
    path = f"{STATUSES}/{status['id']}"
    source = check(await api.get(f"{path}/source"), "GET", "/api/v1/statuses/{id}/source")
    assert source == {"id": status["id"], "text": "frist #typo", "spoiler_text": ""}
    r = await api.put(path, json={"status": "first #fixed", "spoiler_text": "cw"})
    edited = check(r, "PUT", "/api/v1/statuses/{id}")
    assert edited["id"] == status["id"] and "first" in edited["content"]
    assert edited["edited_at"] is not None and edited["spoiler_text"] == "cw"
    history = check(await api.get(f"{path}/history"), "GET", "/api/v1/statuses/{id}/history")
    assert "first" in history[-1]["content"]
    deleted = check(await api.delete(path), "DELETE", "/api/v1/statuses/{id}")
    assert deleted["text"] == "first #fixed"
    row = await status_index.get(api.node.instance.db, int(status["id"]))
    assert row is not None and row.deleted
    assert (await api.get(f"{path}/source")).status_code == 404


async def test_others_statuses_cannot_be_edited_or_deleted(api: Api) -> None:
    status = await post(api, status="mine")
    _, token = await api.new_member("mallory")
    path = f"{STATUSES}/{status['id']}"
    assert (await api.as_(token).put(path, json={"status": "theirs"})).status_code == 404
    assert (await api.as_(token).delete(path)).status_code == 404


async def test_favourite_reblog_bookmark_and_undo_between_members(api: Api) -> None:
    status = await post(api, status="nice day")
    carol, token = await api.new_member("carol")
    as_carol = api.as_(token, carol)
    path = f"{STATUSES}/{status['id']}"
    faved = check(
        await as_carol.post(f"{path}/favourite"), "POST", "/api/v1/statuses/{id}/favourite"
    )
    assert faved["favourited"] is True and faved["favourites_count"] == 1
    boost = check(await as_carol.post(f"{path}/reblog"), "POST", "/api/v1/statuses/{id}/reblog")
    assert boost["reblog"]["id"] == status["id"] and boost["reblog"]["reblogged"] is True
    marked = check(
        await as_carol.post(f"{path}/bookmark"), "POST", "/api/v1/statuses/{id}/bookmark"
    )
    assert marked["bookmarked"] is True

    r = await as_carol.get("/api/v1/bookmarks")
    assert [s["id"] for s in check(r, "GET", "/api/v1/bookmarks")] == [status["id"]]
    assert 'rel="next"' in r.headers["link"]
    r = await as_carol.get("/api/v1/favourites")
    assert [s["id"] for s in check(r, "GET", "/api/v1/favourites")] == [status["id"]]

    notes = check(await api.get("/api/v1/notifications"), "GET", "/api/v1/notifications")
    assert {"favourite", "reblog"} <= {n["type"] for n in notes}

    check(await as_carol.post(f"{path}/unfavourite"), "POST", "/api/v1/statuses/{id}/unfavourite")
    un = check(await as_carol.post(f"{path}/unreblog"), "POST", "/api/v1/statuses/{id}/unreblog")
    assert un["reblogged"] is False and un["favourited"] is False
    check(await as_carol.post(f"{path}/unbookmark"), "POST", "/api/v1/statuses/{id}/unbookmark")
    assert check(await as_carol.get("/api/v1/bookmarks"), "GET", "/api/v1/bookmarks") == []
    assert check(await as_carol.get("/api/v1/favourites"), "GET", "/api/v1/favourites") == []


async def test_only_its_author_boosts_a_private_post_and_pins_are_refused(api: Api) -> None:
    status = await post(api, status="friends only", visibility="private")
    path = f"{STATUSES}/{status['id']}"
    # As Mastodon: the author may boost their own followers-only post (to the same
    # followers); a follower who sees it may not (403).
    boost = check(await api.post(f"{path}/reblog"), "POST", "/api/v1/statuses/{id}/reblog")
    assert boost["visibility"] == "private" and boost["reblog"]["id"] == status["id"]
    carol, carol_token = await api.new_member("carol")
    as_carol = api.as_(carol_token, carol)
    alice_id = status["account"]["id"]
    check(
        await as_carol.post(f"/api/v1/accounts/{alice_id}/follow"),
        "POST",
        "/api/v1/accounts/{id}/follow",
    )
    seen = check(await as_carol.get(path), "GET", "/api/v1/statuses/{id}")
    assert seen["id"] == status["id"]
    r = await as_carol.post(f"{path}/reblog")
    # Mastodon's 403 (NotPermittedError), which its schema does not list for this path.
    assert check(r, "POST", "/api/v1/statuses/{id}/reblog", allow_missing=True) == {
        "error": "This action is not allowed"
    }
    assert r.status_code == 403
    r = await api.post(f"{path}/pin")
    assert check(r, "POST", "/api/v1/statuses/{id}/pin") == {"error": "pinning is not supported"}


async def test_offer_post_becomes_a_listing(api: Api) -> None:
    await set_place(api)
    status = await post(api, status="#offer Blue bike\nRides fine")
    row = await status_index.get(api.node.instance.db, int(status["id"]))
    assert row is not None and row.kind == "listing"
    listing = await listing_store.get(api.node.instance.db, row.uri)
    assert listing is not None and listing.title == "Blue bike"
    assert listing.description == "Rides fine" and listing.kind == "give"
    assert row.uri in (await api.get("/api/listings")).text
    assert "Blue bike" in (await api.node.client.get(f"{api.base}/")).text
    source = check(
        await api.get(f"{STATUSES}/{status['id']}/source"), "GET", "/api/v1/statuses/{id}/source"
    )
    assert source["text"] == "#offer Blue bike\nRides fine"
    r = await api.put(f"{STATUSES}/{status['id']}", json={"status": "#offer Red bike\nRides"})
    check(r, "PUT", "/api/v1/statuses/{id}")
    listing = await listing_store.get(api.node.instance.db, row.uri)
    assert listing is not None and listing.title == "Red bike"
    check(await api.delete(f"{STATUSES}/{status['id']}"), "DELETE", "/api/v1/statuses/{id}")
    assert await listing_store.get(api.node.instance.db, row.uri) is None


async def test_a_stay_without_dates_is_refused_with_the_reason(api: Api) -> None:
    await set_place(api)
    r = await api.post(STATUSES, json={"status": "#stay Spare room"})
    assert r.status_code == 422
    assert "2027-06-01 to 2027-06-20" in check(r, "POST", STATUSES)["error"]


async def test_federated_listing_and_mention(api_pair: tuple[Api, Api]) -> None:
    oak, elm = api_pair
    await set_place(oak)
    follow = await elm.node.client.post(
        f"{elm.base}/users/bob/outbox",
        json={"type": "Follow", "object": "@alice@oak.test"},
        headers={
            "Authorization": f"Bearer {elm.token}",
            "Content-Type": "application/activity+json",
        },
    )
    assert follow.status_code == 201, follow.text

    async def followed() -> bool:
        # Accepted on elm too (its Accept processed): a listing that came first would not
        # be one of a followed author's.
        return await followed_locally(elm.node.instance.db, elm.base, f"{oak.base}/users/alice")

    await eventually(followed)
    status = await post(oak, status="#offer Blue bike\nRides fine")
    row = await status_index.get(oak.node.instance.db, int(status["id"]))
    assert row is not None

    async def arrived() -> bool:
        return await listing_store.get(elm.node.instance.db, row.uri) is not None

    await eventually(arrived)

    hello = await post(oak, status="Hello @bob@elm.test", visibility="direct")
    hello_row = await status_index.get(oak.node.instance.db, int(hello["id"]))
    assert hello_row is not None and hello_row.visibility == "direct"
    assert [m["acct"] for m in hello["mentions"]] == ["bob@elm.test"]

    async def mentioned() -> bool:
        return await status_index.by_uri(elm.node.instance.db, hello_row.uri) is not None

    await eventually(mentioned)


async def test_a_post_without_visibility_takes_the_members_default(api: Api) -> None:
    """Mastodon apps often leave `visibility` out: the member's `source[privacy]` decides."""
    r = await api.patch("/api/v1/accounts/update_credentials", data={"source[privacy]": "unlisted"})
    assert check(r, "PATCH", "/api/v1/accounts/update_credentials")["source"]["privacy"] == (
        "unlisted"
    )
    posted = check(
        await api.post("/api/v1/statuses", json={"status": "hi"}), "POST", "/api/v1/statuses"
    )
    assert posted["visibility"] == "unlisted"
    chosen = await api.post("/api/v1/statuses", json={"status": "hi", "visibility": "public"})
    assert check(chosen, "POST", "/api/v1/statuses")["visibility"] == "public"


async def test_a_status_names_the_app_it_was_posted_with(api: Api) -> None:
    """Like Mastodon, a member's status shows the app it came from (sent to other servers as
    the note's AS2 `generator`)."""
    inst = api.node.instance
    app = await apps.register(
        inst,
        name="Pocket Board",
        redirect_uris_given=["urn:ietf:wg:oauth:2.0:oob"],
        scopes_text="read write",
        website="https://pocket.example",
    )
    async with inst.db.transaction() as tx:
        token = await tokens.insert(
            tx, actor_id=api.member.id, app_id=app.app.id, scopes=["write"], now=0.0
        )
    status = await post(api.as_(token), status="from my phone")
    assert status["application"] == {"name": "Pocket Board", "website": "https://pocket.example"}
    note = await object_store.get(inst.db, status["uri"])
    assert note is not None and note.document["generator"]["name"] == "Pocket Board"
    plain = await post(api, status="from the command line token")
    assert plain["application"] is None
