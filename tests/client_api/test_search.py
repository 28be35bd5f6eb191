"""Search v2 and account autocompletion: local accounts by the beginning of their names,
hashtags and listings by words, and (signed in, with `resolve`) handles and URLs of other
servers fetched from there. The answer always holds all three lists."""

from __future__ import annotations

from fedishare.federation.actor_document import actor_id
from fedishare.follows.following import follow_actor
from fedishare.listings import service
from fedishare.storage import actors, follows
from tests.client_api.conftest import Api
from tests.client_api.schema import check
from tests.listings.factory import draft
from tests.waiting import eventually

SEARCH = "/api/v2/search"


async def test_local_accounts_are_found_by_the_start_of_their_names(api: Api) -> None:
    await api.new_member("alina")
    await api.new_member("bert")
    found = check(await api.get(SEARCH, params={"q": "ali"}), "GET", SEARCH)
    assert sorted(a["acct"] for a in found["accounts"]) == ["alice", "alina"]
    assert set(found) >= {"accounts", "statuses", "hashtags"}
    typed = await api.get("/api/v1/accounts/search", params={"q": "@ber", "limit": 5})
    assert [a["acct"] for a in check(typed, "GET", "/api/v1/accounts/search")] == ["bert"]
    nothing = check(await api.get(SEARCH, params={"q": "zzz", "type": "accounts"}), "GET", SEARCH)
    assert nothing == {"accounts": [], "statuses": [], "hashtags": []}


async def test_a_handle_is_resolved_only_when_asked(api_pair: tuple[Api, Api]) -> None:
    oak, _elm = api_pair
    unresolved = check(await oak.get(SEARCH, params={"q": "@bob@elm.test"}), "GET", SEARCH)
    assert unresolved["accounts"] == []
    resolved = await oak.get(SEARCH, params={"q": "bob@elm.test", "resolve": "true"})
    [bob] = check(resolved, "GET", SEARCH)["accounts"]
    assert bob["acct"] == "bob@elm.test" and bob["url"] == "http://elm.test/users/bob"
    # Known now: found without resolving, and by lookup.
    again = check(await oak.get(SEARCH, params={"q": "@bob@elm.test"}), "GET", SEARCH)
    assert [a["id"] for a in again["accounts"]] == [bob["id"]]
    looked_up = await oak.get("/api/v1/accounts/lookup", params={"acct": "bob@elm.test"})
    assert check(looked_up, "GET", "/api/v1/accounts/lookup")["id"] == bob["id"]


async def test_hashtags_and_listings_are_found_by_words(api: Api) -> None:
    async with api.node.instance.db.transaction() as tx:
        await actors.set_default_place(tx, api.member.id, {"name": "Oakfield"})
    posted = await api.post(
        "/api/v1/statuses", json={"status": "#offer Green bike\nA sturdy bike for a child."}
    )
    assert posted.status_code == 200, posted.text
    found = check(await api.get(SEARCH, params={"q": "sturdy bike"}), "GET", SEARCH)
    assert [s["uri"] for s in found["statuses"]] == [posted.json()["uri"]]
    tags = check(await api.get(SEARCH, params={"q": "#off", "type": "hashtags"}), "GET", SEARCH)
    assert [t["name"] for t in tags["hashtags"]] == ["offer"]
    assert tags["accounts"] == [] and tags["statuses"] == []


async def test_a_followers_only_listing_is_found_by_the_authors_followers(api: Api) -> None:
    inst = api.node.instance
    bob, bob_token = await api.new_member("bob")
    _, carol_token = await api.new_member("carol")
    await follow_actor(inst, bob, actor_id(inst.urls, api.member))

    async def accepted() -> bool:
        found = await follows.find(
            inst.db, actor_id(inst.urls, bob), actor_id(inst.urls, api.member)
        )
        return found is not None and found.state == "accepted"

    await eventually(accepted)
    change = await service.create_listing(
        inst, api.member, draft(title="Spare bike for friends", visibility="followers")
    )
    readers = (("alice", api.token, True), ("bob", bob_token, True), ("carol", carol_token, False))
    for who, token, sees in readers:
        found = check(await api.as_(token).get(SEARCH, params={"q": "bike"}), "GET", SEARCH)
        expected = [change.listing.id] if sees else []
        assert [s["uri"] for s in found["statuses"]] == expected, who
        if sees:
            assert found["statuses"][0]["visibility"] == "private"


async def test_a_post_on_another_server_is_fetched_by_its_url(api_pair: tuple[Api, Api]) -> None:
    oak, elm = api_pair
    posted = await elm.post("/api/v1/statuses", json={"status": "Hello from elm"})
    assert posted.status_code == 200, posted.text
    uri = posted.json()["uri"]
    anonymous = check(await oak.get(SEARCH, params={"q": uri}), "GET", SEARCH)
    assert anonymous["statuses"] == []  # not resolved without being asked
    found = check(await oak.get(SEARCH, params={"q": uri, "resolve": "true"}), "GET", SEARCH)
    [status] = found["statuses"]
    assert status["uri"] == uri and status["account"]["acct"] == "bob@elm.test"
    assert "Hello from elm" in status["content"]
