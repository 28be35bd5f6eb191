"""A report crossing servers: alice of oak.test reports a listing of bob of elm.test from the
listing's card, asking that it be sent on. elm.test's admins then see a report from oak.test's
instance actor with the listing attached, and nothing that names alice."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from fedishare.federation.actor_document import actor_id
from fedishare.follows.following import follow_actor
from fedishare.listings.service import create_listing
from fedishare.storage import follows, reports
from fedishare.storage import listings as listing_store
from tests.harness import Network
from tests.waiting import eventually
from tests.web.account_support import member_with_password
from tests.web.signed_in import signed_in

OFFER = {
    "kind": "give",
    "title": "Miracle ladder",
    "description": "Send a deposit first, by wire.",
    "place": {"name": "Elmwood", "latitude": 51.5, "longitude": -0.12},
}
COMMENT = "Asks for money up front: a scam, not a gift."


async def test_a_forwarded_report_reaches_the_listing_s_server_without_the_reporter(
    net: Network,
) -> None:
    oak, elm = await net.add("oak.test"), await net.add("elm.test")
    alice = await member_with_password(oak, "alice")
    bob = await member_with_password(elm, "bob")
    ada = await member_with_password(elm, "ada", role="admin")
    bob_id = actor_id(elm.instance.urls, bob)
    await follow_actor(oak.instance, alice, bob_id)

    async def followed() -> bool:
        found = await follows.find(elm.instance.db, actor_id(oak.instance.urls, alice), bob_id)
        return found is not None and found.state == "accepted"

    await eventually(followed)
    listing = (await create_listing(elm.instance, bob, OFFER)).listing

    async def on_oak() -> bool:
        return await listing_store.get(oak.instance.db, listing.id) is not None

    await eventually(on_oak)

    async with signed_in(net, oak, alice) as browser:
        board = (await browser.get("/")).text
        report_href = f"/report?listing={quote(listing.id, safe='/')}"
        assert html.escape(report_href) in board  # the card of another server's listing
        form = await browser.get(report_href)
        assert form.status_code == 200 and "Send a copy to elm.test" in form.text
        sent = await browser.post(
            "/report", {"listing": listing.id, "comment": COMMENT, "forward": "on"}
        )
        assert sent.status_code == 303 and sent.headers["location"] == "/report/sent"

    [ours] = await reports.listed(oak.instance.db, resolved=False, limit=5)
    assert ours.reporter_member_id == alice.id and ours.forwarded and ours.target == bob_id
    [flag] = await oak.instance.db.fetch_all(
        "SELECT document FROM outbox_activities WHERE type = 'Flag'"
    )
    document = json.loads(flag["document"])
    assert document["actor"] == "http://oak.test/actor"
    assert document["object"] == [bob_id, listing.id] and document["content"] == COMMENT
    assert "alice" not in flag["document"]

    async def reported_on_elm() -> bool:
        return await reports.count_open(elm.instance.db) == 1

    await eventually(reported_on_elm)
    [theirs] = await reports.listed(elm.instance.db, resolved=False, limit=5)
    assert (theirs.reporter, theirs.target) == ("http://oak.test/actor", bob_id)
    assert theirs.reporter_member_id is None and theirs.comment == COMMENT
    [post] = (await reports.posts_of(elm.instance.db, [theirs.id]))[theirs.id]
    assert (post.uri, post.title) == (listing.id, "Miracle ladder")
    assert post.text == OFFER["description"]

    async with signed_in(net, elm, ada) as admin:
        page = html.unescape((await admin.get("/admin/reports")).text)
        assert "From the server oak.test (http://oak.test/actor)" in page
        assert "Miracle ladder" in page and COMMENT in page and "@bob@elm.test" in page
        assert "alice" not in page
        overview = (await admin.get("/admin")).text
        assert "1 report waiting." in overview
