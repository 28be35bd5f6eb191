"""Profiles in the browser: a member's and the community's open listings, bio and avatar; the
remote follow from a visitor's own server; whom a member follows, who follows them, and a
locked member's follow requests answered from the page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.accounts.members import create_member
from fedishare.core.types import JSON
from fedishare.listings import service
from fedishare.storage import actors, follows
from fedishare.storage.actors import LocalActor
from tests.harness import Network, Node
from tests.listings.factory import draft
from tests.listings.responses_support import MASTODON, sent, world
from tests.waiting import eventually
from tests.web.signed_in import HTML, signed_in, visitor

AS = "application/activity+json"
SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"


class HomeServer:
    """The visitor's own server: WebFinger for the accounts it is given, each with the links
    the test chooses."""

    def __init__(self) -> None:
        self.accounts: dict[str, list[JSON]] = {}
        self.asked: list[str] = []
        self.app = Starlette(routes=[Route("/.well-known/webfinger", self._webfinger)])

    async def _webfinger(self, request: Request) -> Response:
        resource = request.query_params.get("resource", "")
        self.asked.append(resource)
        links = self.accounts.get(resource)
        if links is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        body = {"subject": resource, "links": links}
        return JSONResponse(body, media_type="application/jrd+json")


def home_server(net: Network) -> HomeServer:
    home = HomeServer()
    home.accounts["acct:me@home.test"] = [
        {"rel": "self", "type": AS, "href": "http://home.test/users/me"},
        {"rel": SUBSCRIBE, "template": "http://home.test/authorize_interaction?uri={uri}"},
    ]
    home.accounts["acct:quiet@home.test"] = [
        {"rel": "self", "type": AS, "href": "http://home.test/users/quiet"}
    ]
    net.router.add("home.test", home.app)
    return home


async def _member(node: Node, name: str, *, locked: bool = False) -> LocalActor:
    inst = node.instance
    return await create_member(inst.db, inst.clock, name, display_name=name.title(), locked=locked)


async def test_a_profile_shows_the_members_open_listings_bio_and_avatar(node: Node) -> None:
    inst = node.instance
    alice = await _member(node, "alice")
    bob = await _member(node, "bob")
    async with inst.db.transaction() as tx:
        await actors.update_profile(
            tx, alice.id, display_name="Alice A.", summary="I grow tomatoes.\n\nAsk me <how>."
        )
    bike = await service.create_listing(inst, alice, draft(title="Blue bike"))
    await service.create_listing(inst, alice, draft(title="Old lamp"))
    gone = await service.create_listing(inst, alice, draft(title="Spare tyre"))
    await service.withdraw(inst, alice, gone.listing.id)
    await service.create_listing(inst, bob, draft(title="Sewing machine"))

    r = await node.client.get("http://oak.test/users/alice", headers={"Accept": HTML})
    assert r.status_code == 200 and r.headers["vary"] == "Accept"
    page = r.text
    assert '<h1 class="p-name">Alice A.</h1>' in page
    assert '<p class="p-note">I grow tomatoes.</p>' in page and "Ask me &lt;how&gt;." in page
    assert 'class="avatar u-photo" src="http://oak.test/avatars/person.png"' in page
    path = urlsplit(bike.listing.id).path
    assert f'<a href="{path}">Blue bike</a>' in page and "Old lamp" in page
    assert page.index("Old lamp") < page.index("Blue bike")  # newest first
    assert "Spare tyre" not in page and "Sewing machine" not in page

    community = await node.client.get("http://oak.test/users/community", headers={"Accept": HTML})
    assert "Open listings in the neighbourhood" in community.text
    for title in ("Blue bike", "Old lamp", "Sewing machine"):
        assert title in community.text
    assert "Spare tyre" not in community.text

    # Servers still get the actor document from the same URL.
    doc = (await node.client.get("http://oak.test/users/alice", headers={"Accept": AS})).json()
    assert doc["type"] == "Person" and doc["name"] == "Alice A."


async def test_remote_follow_sends_the_visitor_to_their_servers_follow_page(
    net: Network, node: Node
) -> None:
    await _member(node, "alice")
    home = home_server(net)
    async with visitor(net, node, "/users/alice") as v:
        r = await v.post("/users/alice/remote-follow", {"account": "@me@home.test"})
        assert r.status_code == 303
        target = urlsplit(r.headers["location"])
        assert (target.netloc, target.path) == ("home.test", "/authorize_interaction")
        assert parse_qs(target.query) == {"uri": ["http://oak.test/users/alice"]}
        assert home.asked == ["acct:me@home.test"]

        community = await v.post("/users/community/remote-follow", {"account": "me@home.test"})
        assert community.status_code == 303
        assert community.headers["location"] == (
            "http://home.test/authorize_interaction?uri=http%3A%2F%2Foak.test%2Fusers%2Fcommunity"
        )


async def test_remote_follow_refuses_a_bad_or_unknown_account_beside_the_field(
    net: Network, node: Node
) -> None:
    await _member(node, "alice")
    home_server(net)
    async with visitor(net, node, "/users/alice") as v:
        bad = await v.post("/users/alice/remote-follow", {"account": "just me"})
        assert bad.status_code == 400
        assert '<p class="error" id="account-error">write your account as @you@your.server' in (
            bad.text
        )
        assert 'value="just me"' in bad.text and "<h1" in bad.text

        unknown = await v.post("/users/alice/remote-follow", {"account": "@nobody@home.test"})
        assert unknown.status_code == 422
        assert "home.test has no account @nobody@home.test" in unknown.text
        assert 'value="@nobody@home.test"' in unknown.text

        no_template = await v.post("/users/alice/remote-follow", {"account": "@quiet@home.test"})
        assert no_template.status_code == 422
        assert "home.test offers no way to follow from @quiet@home.test" in no_template.text

        nowhere = await v.post("/users/alice/remote-follow", {"account": "@me@nowhere.test"})
        assert nowhere.status_code == 422 and "cannot ask nowhere.test" in nowhere.text

        forged = await v.client.post(
            v.base + "/users/alice/remote-follow",
            data={"account": "@me@home.test", "csrf_token": "forged"},
        )
        assert forged.status_code == 403


async def test_a_locked_member_answers_follow_requests_from_the_page(net: Network) -> None:
    w = await world(net)  # oak.test, and a Mastodon-like server with john
    node = w.oak
    inst = node.instance
    carol = await _member(node, "carol", locked=True)
    dave = await _member(node, "dave")
    erin = await _member(node, "erin")
    carol_id = "http://oak.test/users/carol"
    john = f"{MASTODON}/users/john"
    follow = {"id": f"{MASTODON}/follows/1", "type": "Follow", "actor": john, "object": carol_id}
    await w.signed("john", {"@context": "https://www.w3.org/ns/activitystreams", **follow})

    async def asked() -> bool:
        found = await follows.find(inst.db, john, carol_id)
        return found is not None and found.state == "pending"

    await eventually(asked)

    async with signed_in(net, node, dave) as d, signed_in(net, node, erin) as e:
        assert (await d.post("/users/carol/follow", {})).status_code == 303
        assert "waiting for approval" in (await d.get("/users/carol")).text
        assert (await e.post("/users/carol/follow", {})).status_code == 303

    async with signed_in(net, node, carol) as c:
        page = (await c.get("/users/carol/people")).text
        assert "Follow requests" in page
        for who in ("@dave@oak.test", "@erin@oak.test", "@john@mastodon.test"):
            assert who in page.split('id="followers-heading"')[0]

        r = await c.post(
            "/users/carol/follow-requests",
            {"follower": "http://oak.test/users/dave", "decision": "approve"},
        )
        assert r.status_code == 303 and r.headers["location"] == "/users/carol/people"
        r = await c.post("/users/carol/follow-requests", {"follower": john, "decision": "approve"})
        assert r.status_code == 303
        r = await c.post(
            "/users/carol/follow-requests",
            {"follower": "http://oak.test/users/erin", "decision": "refuse"},
        )
        assert r.status_code == 303

        states = {
            who: (await follows.find(inst.db, who, carol_id))
            for who in ("http://oak.test/users/dave", "http://oak.test/users/erin", john)
        }
        assert {k: v.state if v else None for k, v in states.items()} == {
            "http://oak.test/users/dave": "accepted",
            "http://oak.test/users/erin": "rejected",
            john: "accepted",
        }
        # john's server is told, as Mastodon expects: an Accept of his Follow.
        [(accept, inboxes)] = await sent(node, "Accept")
        assert accept["object"]["id"] == f"{MASTODON}/follows/1"
        assert inboxes == [f"{john}/inbox"]

        page = (await c.get("/users/carol/people")).text
        followers = page.split('id="followers-heading"')[1].split('id="following-heading"')[0]
        assert "@dave@oak.test" in followers and "@john@mastodon.test" in followers
        assert "@erin@oak.test" not in page
        again = await c.post(
            "/users/carol/follow-requests", {"follower": john, "decision": "approve"}
        )
        assert again.status_code == 404  # no request left to answer
        odd = await c.post("/users/carol/follow-requests", {"follower": john, "decision": "maybe"})
        assert odd.status_code == 400

    async with signed_in(net, node, dave) as d:
        assert "You follow this account." in (await d.get("/users/carol")).text
        mine = (await d.get("/users/dave/people")).text
        following = mine.split('id="following-heading"')[1]
        assert "@carol@oak.test" in following and "waiting for approval" not in following


async def test_people_pages_are_for_their_member_only(net: Network, node: Node) -> None:
    carol = await _member(node, "carol", locked=True)
    dave = await _member(node, "dave")
    async with signed_in(net, node, dave) as d:
        await d.post("/users/carol/follow", {})
        assert (await d.get("/users/carol/people")).status_code == 403
        r = await d.post(
            "/users/carol/follow-requests",
            {"follower": "http://oak.test/users/dave", "decision": "approve"},
        )
        assert r.status_code == 403
    found = await follows.find(
        node.instance.db, "http://oak.test/users/dave", "http://oak.test/users/carol"
    )
    assert found is not None and found.state == "pending"
    anonymous = await node.client.get(
        "http://oak.test/users/carol/people", headers={"Accept": HTML}
    )
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/users/carol/people"
    async with signed_in(net, node, carol) as c:
        assert (await c.get("/users/carol/people")).status_code == 200
