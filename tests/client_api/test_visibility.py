"""Who sees a followers-only or a direct status, endpoint by endpoint, as Mastodon answers.

alice writes a private (followers-only) status that mentions mia, and a direct one to mia.
The viewers: sam (a stranger, another member), fran (who follows alice), mia (mentioned)
and nobody (no token). A status a viewer may not see is 404 "Record not found" wherever
they name it, and is left out wherever a list would hold it; one they see but may not
boost is 403."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from fedishare.core.activitystreams import PUBLIC
from fedishare.notifications.record import record
from fedishare.storage import statuses as status_index
from tests.client_api.conftest import Api
from tests.client_api.schema import check
from tests.inbox.handler_support import receive
from tests.waiting import eventually

S = "/api/v1/statuses"
BOB = "http://elm.test/users/bob"
VIEWERS = ("stranger", "follower", "mentioned", "anonymous")
# Who may see which status.
SEES = {
    "private": {"follower", "mentioned"},
    "direct": {"mentioned"},
}


@dataclass
class World:
    alice: Api
    viewers: dict[str, Api]
    statuses: dict[str, Any]  # "private", "direct": alice's statuses as she sees them

    def path(self, which: str, rest: str = "") -> str:
        return f"{S}/{self.statuses[which]['id']}{rest}"


async def _member(api: Api, name: str) -> Api:
    actor, token = await api.new_member(name)
    return api.as_(token, actor)


async def _account_id(api: Api, name: str) -> str:
    r = await api.get("/api/v1/accounts/lookup", params={"acct": name})
    return str(check(r, "GET", "/api/v1/accounts/lookup")["id"])


async def _world(alice: Api) -> World:
    stranger = await _member(alice, "sam")
    follower = await _member(alice, "fran")
    mentioned = await _member(alice, "mia")
    alice_id = await _account_id(alice, "alice")
    r = await follower.post(f"/api/v1/accounts/{alice_id}/follow")
    assert check(r, "POST", "/api/v1/accounts/{id}/follow")["following"] is True
    private = check(
        await alice.post(S, json={"status": "friends only, @mia", "visibility": "private"}),
        "POST",
        S,
    )
    direct = check(
        await alice.post(S, json={"status": "@mia just you", "visibility": "direct"}), "POST", S
    )
    anonymous = alice.as_("")
    return World(
        alice,
        {
            "stranger": stranger,
            "follower": follower,
            "mentioned": mentioned,
            "anonymous": anonymous,
        },
        {"private": private, "direct": direct},
    )


@pytest.fixture
async def world(api: Api) -> World:
    return await _world(api)


CASES = [(which, viewer) for which in ("private", "direct") for viewer in VIEWERS]


def _sees(which: str, viewer: str) -> bool:
    return viewer in SEES[which]


def _not_found(r: Any, method: str, template: str) -> None:
    assert r.status_code == 404, r.text
    assert check(r, method, template) == {"error": "Record not found"}


@pytest.mark.parametrize(("which", "viewer"), CASES)
async def test_the_status_and_its_context(world: World, which: str, viewer: str) -> None:
    who = world.viewers[viewer]
    for rest, template in (("", f"{S}/{{id}}"), ("/context", f"{S}/{{id}}/context")):
        r = await who.get(world.path(which, rest))
        if _sees(which, viewer):
            check(r, "GET", template)
            assert r.status_code == 200
        else:
            _not_found(r, "GET", template)
    r = await who.get(world.path(which, "/favourited_by"))
    if _sees(which, viewer):
        assert check(r, "GET", f"{S}/{{id}}/favourited_by") == []
    else:
        _not_found(r, "GET", f"{S}/{{id}}/favourited_by")


@pytest.mark.parametrize(("which", "viewer"), CASES)
async def test_acting_on_it(world: World, which: str, viewer: str) -> None:
    who = world.viewers[viewer]
    for action in ("favourite", "bookmark", "reblog"):
        template = f"{S}/{{id}}/{action}"
        r = await who.post(world.path(which, f"/{action}"))
        if viewer == "anonymous":
            assert r.status_code == 401
            check(r, "POST", template)
        elif not _sees(which, viewer):
            _not_found(r, "POST", template)
        elif action == "reblog":  # seen, but only its author may boost it
            assert r.status_code == 403, r.text
            assert check(r, "POST", template, allow_missing=True) == {
                "error": "This action is not allowed"
            }
        else:
            assert check(r, "POST", template)["id"] == world.statuses[which]["id"]
    # A refused favourite tells alice nothing (and sends nothing).
    found = check(await world.alice.get("/api/v1/notifications"), "GET", "/api/v1/notifications")
    favourites = [n for n in found if n["type"] == "favourite"]
    assert len(favourites) == (1 if _sees(which, viewer) and viewer != "anonymous" else 0)


@pytest.mark.parametrize(("which", "viewer"), CASES)
async def test_replying_to_it(world: World, which: str, viewer: str) -> None:
    who = world.viewers[viewer]
    body = {"status": "an answer", "in_reply_to_id": world.statuses[which]["id"]}
    r = await who.post(S, json=body)
    if viewer == "anonymous":
        assert r.status_code == 401
        check(r, "POST", S)
    elif _sees(which, viewer):
        assert check(r, "POST", S)["in_reply_to_id"] == world.statuses[which]["id"]
    else:
        _not_found(r, "POST", S)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_the_account_statuses_and_search(world: World, viewer: str) -> None:
    who = world.viewers[viewer]
    alice_id = world.statuses["private"]["account"]["id"]
    template = "/api/v1/accounts/{id}/statuses"
    listed = check(await who.get(f"/api/v1/accounts/{alice_id}/statuses"), "GET", template)
    ids = {s["id"] for s in listed}
    for which in ("private", "direct"):
        assert (world.statuses[which]["id"] in ids) == _sees(which, viewer)
        uri = world.statuses[which]["uri"]
        r = await who.get("/api/v2/search", params={"q": uri, "resolve": "true"})
        found = [s["id"] for s in check(r, "GET", "/api/v2/search")["statuses"]]
        # Nobody without a token resolves URLs (as Mastodon); the others find what they see.
        shown = _sees(which, viewer) and viewer != "anonymous"
        assert found == ([world.statuses[which]["id"]] if shown else [])


async def test_the_threads_around_a_private_status(world: World) -> None:
    """A public reply to the private status shows it as an ancestor only to those who may
    see it; a private reply under a public status is a descendant only for them."""
    alice = world.alice
    private = world.statuses["private"]
    public_reply = check(
        await alice.post(S, json={"status": "open answer", "in_reply_to_id": private["id"]}),
        "POST",
        S,
    )
    public = check(await alice.post(S, json={"status": "for all"}), "POST", S)
    hidden_reply = check(
        await alice.post(
            S,
            json={"status": "for friends", "in_reply_to_id": public["id"], "visibility": "private"},
        ),
        "POST",
        S,
    )
    for viewer, who in world.viewers.items():
        up = check(await who.get(f"{S}/{public_reply['id']}/context"), "GET", f"{S}/{{id}}/context")
        down = check(await who.get(f"{S}/{public['id']}/context"), "GET", f"{S}/{{id}}/context")
        sees = _sees("private", viewer)
        assert [a["id"] for a in up["ancestors"]] == ([private["id"]] if sees else [])
        # mia is not mentioned in this one: only alice's followers see it.
        follows = viewer == "follower"
        assert [d["id"] for d in down["descendants"]] == ([hidden_reply["id"]] if follows else [])


async def test_the_author_sees_and_boosts_her_own(world: World) -> None:
    for which in ("private", "direct"):
        r = await world.alice.get(world.path(which))
        assert check(r, "GET", f"{S}/{{id}}")["id"] == world.statuses[which]["id"]
    boost = check(
        await world.alice.post(world.path("private", "/reblog")), "POST", f"{S}/{{id}}/reblog"
    )
    assert boost["visibility"] == "private"
    r = await world.alice.post(world.path("direct", "/reblog"))
    assert r.status_code == 403
    check(r, "POST", f"{S}/{{id}}/reblog", allow_missing=True)
    # fran follows alice: her home has the self-boost's status (once), sam's has nothing.
    home = "/api/v1/timelines/home"
    fran = check(await world.viewers["follower"].get(home), "GET", home)
    assert world.statuses["private"]["id"] in {s["id"] for s in fran}
    sam = check(await world.viewers["stranger"].get(home), "GET", home)
    assert sam == []


async def test_notifications_only_of_what_the_member_may_see(world: World) -> None:
    """A notification about a status the member may not see is dropped, as Mastodon does."""
    inst = world.alice.node.instance
    sam = world.viewers["stranger"]
    mia = world.viewers["mentioned"]
    async with inst.db.transaction() as tx:
        for who in (sam, mia):
            await record(
                tx,
                recipient_id=who.member.id,
                type="favourite",
                from_actor=f"{world.alice.base}/users/alice",
                status_id=int(world.statuses["private"]["id"]),
                at=inst.clock(),
            )
    n = "/api/v1/notifications"
    assert check(await sam.get(n), "GET", n) == []
    seen = check(await mia.get(n), "GET", n)
    assert {x["status"]["id"] for x in seen} == {
        world.statuses["private"]["id"],
        world.statuses["direct"]["id"],
    }
    grouped = check(await sam.get("/api/v2/notifications"), "GET", "/api/v2/notifications")
    assert grouped["notification_groups"] == [] and grouped["statuses"] == []


async def _follow_bob(oak: Api, follower: Api) -> None:
    r = await follower.get("/api/v2/search", params={"q": "bob@elm.test", "resolve": "true"})
    accounts = check(r, "GET", "/api/v2/search")["accounts"]
    assert [a["acct"] for a in accounts] == ["bob@elm.test"]
    bob_id = accounts[0]["id"]
    check(
        await follower.post(f"/api/v1/accounts/{bob_id}/follow"),
        "POST",
        "/api/v1/accounts/{id}/follow",
    )

    async def following() -> bool:
        r = await follower.get("/api/v1/accounts/relationships", params={"id[]": bob_id})
        return bool(check(r, "GET", "/api/v1/accounts/relationships")[0]["following"])

    await eventually(following)


async def test_a_remote_boost_of_a_private_status_is_not_indexed(
    api_pair: tuple[Api, Api],
) -> None:
    oak, _ = api_pair
    world = await _world(oak)
    fran = world.viewers["follower"]
    sam = world.viewers["stranger"]
    await _follow_bob(oak, fran)
    await _follow_bob(oak, sam)
    private = world.statuses["private"]
    public = check(await oak.post(S, json={"status": "for all"}), "POST", S)
    for status, n in ((private, 1), (public, 2)):
        boost = {
            "id": f"{BOB}/boosts/{n}",
            "type": "Announce",
            "actor": BOB,
            "object": status["uri"],
            "to": [PUBLIC],
            "cc": [f"{BOB}/followers"],
            "published": "2026-05-01T10:00:00Z",
        }
        await receive(oak.node, boost)
    db = oak.node.instance.db
    assert await status_index.by_uri(db, f"{BOB}/boosts/1") is None
    assert await status_index.by_uri(db, f"{BOB}/boosts/2") is not None
    home = "/api/v1/timelines/home"
    # fran follows alice too: her home has alice's statuses themselves, not bob's boosts.
    for who, expected in ((fran, []), (sam, [public["id"]])):
        shown = check(await who.get(home), "GET", home)
        assert [s["reblog"]["id"] for s in shown if s["reblog"] is not None] == expected
    # alice hears of the public one's boost only.
    found = check(await oak.get("/api/v1/notifications"), "GET", "/api/v1/notifications")
    assert [x["status"]["id"] for x in found if x["type"] == "reblog"] == [public["id"]]


async def test_a_followers_only_reply_notifies_only_whom_it_addresses(
    api_pair: tuple[Api, Api],
) -> None:
    oak, _ = api_pair
    r = await oak.get("/api/v2/search", params={"q": "bob@elm.test", "resolve": "true"})
    assert check(r, "GET", "/api/v2/search")["accounts"]  # bob is known here
    status = check(await oak.post(S, json={"status": "who has a ladder?"}), "POST", S)
    alice = f"{oak.base}/users/alice"
    for n, cc in ((1, []), (2, [alice])):
        reply = {
            "id": f"{BOB}/statuses/{n}",
            "type": "Note",
            "attributedTo": BOB,
            "inReplyTo": status["uri"],
            "content": "<p>I do</p>",
            "to": [f"{BOB}/followers"],
            "cc": cc,
            "published": "2026-05-01T10:00:00Z",
        }
        create = {"id": f"{reply['id']}/activity", "type": "Create", "actor": BOB}
        await receive(oak.node, create | {"object": reply})
    # Nothing is even recorded for the first (the list would drop it regardless).
    recorded = await oak.node.instance.db.fetch_all(
        "SELECT s.uri FROM notifications n JOIN statuses s ON s.id = n.status_id"
        " WHERE n.type = 'mention'"
    )
    assert [r[0] for r in recorded] == [f"{BOB}/statuses/2"]
    n = "/api/v1/notifications"
    found = check(await oak.get(n), "GET", n)
    assert [x["status"]["uri"] for x in found if x["type"] == "mention"] == [f"{BOB}/statuses/2"]
