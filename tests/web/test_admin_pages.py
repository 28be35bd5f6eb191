"""The admin pages over HTTP: who may see them, members disabled and enabled, listings
removed (a Delete goes out), invites, domains blocked and unblocked (at once, for the inbox,
fetches and deliveries), and the read-only report page."""

from __future__ import annotations

from typing import Any

import pytest

from fedishare.federation.errors import FetchError
from fedishare.follows.following import follow_actor
from fedishare.listings.service import create_listing
from fedishare.remote.fetch import signed_get
from fedishare.remote.publish import publish
from fedishare.storage import actors, follows
from fedishare.storage import listings as listing_store
from fedishare.storage.listing_search import Query, search
from fedishare.web.session import SESSION_COOKIE
from tests.harness import Network, Node
from tests.mastodon_peer import MastodonPeer, rsa_key
from tests.waiting import eventually
from tests.web.account_support import PASSWORD, browser, error_beside, member_with_password

AS = "application/activity+json"
LOST = "http://lost.mastodon.test/inbox"  # no server answers there
PAGES = [
    "/admin",
    "/admin/requests",
    "/admin/members",
    "/admin/listings",
    "/admin/invites",
    "/admin/domains",
    "/admin/reports",
]
ACTIONS = [
    "/admin/requests/1/approve",
    "/admin/members/alice/disable",
    "/admin/listings/remove",
    "/admin/invites",
    "/admin/domains",
    "/admin/domains/unblock",
]
OFFER = {
    "kind": "give",
    "title": "Ladder",
    "description": "A tall ladder to lend.",
    "place": {"name": "Oakfield", "latitude": 51.5, "longitude": -0.12},
}


@pytest.fixture
async def oak(net: Network) -> Node:
    node = await net.add(
        "oak.test",
        registration={"policy": "approval"},
        federation={"block": ["spam.example"], "allow": []},
    )
    await member_with_password(node, "ada", role="admin")
    await member_with_password(node, "alice")
    return node


async def test_admin_pages_send_visitors_to_log_in_and_refuse_members(
    net: Network, oak: Node
) -> None:
    async with browser(net, oak) as visitor:
        for path in PAGES:
            page = await visitor.get(path)
            assert page.status_code == 303, path
            assert page.headers["location"] == f"/login?next={path}"
        token = await visitor.token("/login")
        for action in ACTIONS:
            assert (await visitor.post(action, csrf_token=token)).status_code == 401, action
    async with browser(net, oak) as member:
        await member.log_in("alice")
        token = await member.token("/settings")
        for path in PAGES:
            page = await member.get(path)
            assert page.status_code == 403 and "only an admin" in page.text, path
        for action in ACTIONS:
            assert (await member.post(action, csrf_token=token)).status_code == 403, action
        assert 'href="/admin"' not in (await member.get("/settings")).text
    async with browser(net, oak) as admin:
        await admin.log_in("ada")
        for path in PAGES:
            assert (await admin.get(path)).status_code == 200, path
        assert 'href="/admin"' in (await admin.get("/settings")).text
        assert (await admin.post("/admin/invites", role="member")).status_code == 403  # no token


async def test_a_disabled_member_is_logged_out_and_cannot_log_in_until_enabled(
    net: Network, oak: Node
) -> None:
    async with browser(net, oak) as admin, browser(net, oak) as alice:
        await admin.log_in("ada")
        await alice.log_in("alice")
        listed = await admin.get("/admin/members")
        assert "@alice" in listed.text and 'action="/admin/members/ada/' not in listed.text
        done = await admin.submit("/admin/members", "/admin/members/alice/disable")
        assert done.headers["location"] == "/admin/members?notice=disabled"
        assert (await alice.get("/settings")).status_code == 303  # her session has ended
        refused = await alice.log_in("alice")
        assert refused.status_code == 400 and "this account is disabled" in refused.text
        assert (await oak.client.get("http://oak.test/users/alice")).status_code == 410
        assert "disabled" in (await admin.get("/admin/members")).text

        enabled = await admin.submit("/admin/members", "/admin/members/alice/enable")
        assert enabled.headers["location"] == "/admin/members?notice=enabled"
        assert (await alice.log_in("alice")).status_code == 303

        own = await admin.submit("/admin/members", "/admin/members/ada/disable")
        assert own.status_code == 403
        unknown = await admin.submit("/admin/members", "/admin/members/nobody/disable")
        assert unknown.status_code == 409
        assert admin.cookie(SESSION_COOKIE) is not None


async def test_an_admin_removes_a_local_listing_and_a_delete_goes_out(
    net: Network, oak: Node
) -> None:
    elm = await net.add("elm.test")
    bob = await member_with_password(elm, "bob")
    alice = await actors.find_by_username(oak.instance.db, "alice")
    assert alice is not None
    alice_id = "http://oak.test/users/alice"
    await follow_actor(elm.instance, bob, alice_id)

    async def followed() -> bool:
        found = await follows.find(oak.instance.db, "http://elm.test/users/bob", alice_id)
        return found is not None and found.state == "accepted"

    await eventually(followed)
    listing = (await create_listing(oak.instance, alice, OFFER)).listing

    async def on_elm() -> bool:
        return await listing_store.get(elm.instance.db, listing.id) is not None

    await eventually(on_elm)
    async with browser(net, oak) as admin:
        await admin.log_in("ada")
        page = await admin.get("/admin/listings")
        assert "Ladder" in page.text and "@alice" in page.text
        assert "Ladder" in (await admin.get("/admin/listings", q="ladder")).text
        assert "Ladder" not in (await admin.get("/admin/listings", q="piano")).text
        done = await admin.submit("/admin/listings", "/admin/listings/remove", id=listing.id)
        assert done.headers["location"] == "/admin/listings?notice=removed"
        assert "Ladder" not in (await admin.get("/admin/listings")).text
        missing = await admin.submit("/admin/listings", "/admin/listings/remove", id=listing.id)
        assert missing.status_code == 404
    assert (await oak.client.get(listing.id, headers={"Accept": AS})).status_code == 410
    assert await search(oak.instance.db, Query(origin="local")) == []

    async def gone_from_elm() -> bool:
        return await listing_store.get(elm.instance.db, listing.id) is None

    await eventually(gone_from_elm)
    [delete] = await oak.instance.db.fetch_all(
        "SELECT actor_id, document FROM outbox_activities WHERE type = 'Delete'"
    )
    assert delete["actor_id"] == alice.id and listing.id in delete["document"]


async def test_invites_are_shown_once_and_make_members_or_admins(net: Network, oak: Node) -> None:
    async with browser(net, oak) as admin:
        await admin.log_in("ada")
        links = {}
        for role in ("member", "admin"):
            made = await admin.submit("/admin/invites", "/admin/invites", role=role)
            assert made.status_code == 200 and "shown only this once" in made.text
            links[role] = made.text.split('id="new-link" value="', 1)[1].split('"', 1)[0]
        listing = (await admin.get("/admin/invites")).text
        assert "For an admin" in listing and "For a member" in listing and "@ada" in listing
        assert all(link not in listing for link in links.values())
        wrong = await admin.submit("/admin/invites", "/admin/invites", role="owner")
        assert wrong.status_code == 400
    for role, name in (("member", "mia"), ("admin", "abe")):
        path = links[role].removeprefix("http://oak.test")
        async with browser(net, oak) as invited:
            page = await invited.get(path)
            assert ("makes you an admin" in page.text) is (role == "admin")
            joined = await invited.submit(path, path, username=name, password=PASSWORD)
            assert joined.status_code == 303
            allowed = await invited.get("/admin")
            assert allowed.status_code == (200 if role == "admin" else 403)
            assert (await invited.get(path)).status_code == 404


async def test_configured_domains_are_listed_read_only_and_reports_say_none(
    net: Network, oak: Node
) -> None:
    async with browser(net, oak) as admin:
        await admin.log_in("ada")
        domains = (await admin.get("/admin/domains")).text
        configured = domains.split('id="configured-heading"', 1)[1].split("</section>", 1)[0]
        assert "spam.example" in configured and "<form" not in configured
        assert "No domain is blocked from this page." in domains
        assert "Every domain that is not blocked may talk to this server." in domains
        reports = (await admin.get("/admin/reports")).text
        assert "There are no reports yet." in reports
        overview = (await admin.get("/admin")).text
        assert "Each request waits for an admin" in overview


def _note(n: int) -> dict[str, Any]:
    actor = "http://mastodon.test/users/john"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/statuses/{n}/activity",
        "type": "Create",
        "actor": actor,
        "object": {"id": f"{actor}/statuses/{n}", "type": "Note", "content": "<p>Hi</p>"},
    }


async def test_a_domain_blocked_from_the_page_is_refused_at_once_until_unblocked(
    net: Network, oak: Node
) -> None:
    peer = MastodonPeer.on(net, "mastodon.test")
    peer.add("john", rsa_key(0))
    inst = oak.instance
    community = await actors.find_by_kind(inst.db, "group")
    assert community is not None
    # Queued for a host of the domain that does not answer: it waits, retrying.
    await publish(inst, community, {"id": "http://oak.test/a/1", "type": "Create"}, [LOST])

    async def inbox_post(n: int) -> int:
        body, headers = peer.signed_post(
            "john", "http://oak.test/inbox", _note(n), now=inst.clock()
        )
        async with net.client() as client:
            response = await client.post("http://oak.test/inbox", content=body, headers=headers)
        return response.status_code

    assert await inbox_post(1) == 202
    async with browser(net, oak) as admin:
        await admin.log_in("ada")
        done = await admin.submit(
            "/admin/domains", "/admin/domains", domain="Mastodon.test", reason="spam waves"
        )
        assert done.headers["location"] == "/admin/domains?notice=blocked"
        assert await inbox_post(2) == 403  # no restart
        with pytest.raises(FetchError):
            await signed_get(inst, "http://mastodon.test/users/john")

        async def delivery_ended() -> bool:
            [row] = await inst.db.fetch_all("SELECT state, last_error FROM deliveries")
            return (row["state"], row["last_error"]) == (
                "failed",
                "mastodon.test was blocked by an admin",
            )

        await eventually(delivery_ended)
        listed = await admin.get("/admin/domains", notice="blocked")
        blocked = listed.text.split('id="blocked-heading"', 1)[1].split("</section>", 1)[0]
        assert "mastodon.test" in blocked and "spam waves" in blocked and "@ada" in blocked
        assert "The domain is blocked" in listed.text

        no_token = await admin.post("/admin/domains/unblock", domain="mastodon.test")
        assert no_token.status_code == 403 and await inbox_post(3) == 403
        undone = await admin.submit(
            "/admin/domains", "/admin/domains/unblock", domain="mastodon.test"
        )
        assert undone.headers["location"] == "/admin/domains?notice=unblocked"
        assert await inbox_post(4) == 202
        assert "No domain is blocked from this page." in (await admin.get("/admin/domains")).text
        again = await admin.submit(
            "/admin/domains", "/admin/domains/unblock", domain="mastodon.test"
        )
        assert again.status_code == 404


async def test_the_domain_field_shows_its_errors_and_keeps_what_was_typed(
    net: Network, oak: Node
) -> None:
    async with browser(net, oak) as admin:
        await admin.log_in("ada")
        for typed, error in (
            ("", "required"),
            ("not a domain!", "not a domain name (like spam.example)"),
            ("oak.test", "this is our own domain"),
            ("social.spam.example", "already blocked in instance.toml"),
        ):
            page = await admin.submit("/admin/domains", "/admin/domains", domain=typed, reason="r")
            assert page.status_code == 400, typed
            assert error_beside(page.text, "domain") == error, typed
            if typed:
                assert f'value="{typed}"' in page.text
            assert "<textarea" in page.text and ">r</textarea>" in page.text
        long = await admin.submit(
            "/admin/domains", "/admin/domains", domain="elm.test", reason="x" * 501
        )
        assert long.status_code == 400
        assert error_beside(long.text, "reason") == "at most 500 characters"
        assert error_beside(long.text, "domain") is None
        await admin.submit("/admin/domains", "/admin/domains", domain="elm.test", reason="")
        twice = await admin.submit("/admin/domains", "/admin/domains", domain="elm.test")
        assert error_beside(twice.text, "domain") == "already blocked"
