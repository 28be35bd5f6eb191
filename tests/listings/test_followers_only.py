"""A followers-only listing reaches the servers of its author's followers, and only them: it
is delivered to their inboxes (never announced by the community), their servers fetch it
signed, and there it is shown to the members who follow the author and to nobody else."""

from __future__ import annotations

import json

from fedishare.federation.errors import FetchError
from fedishare.follows.following import follow_actor
from fedishare.listings import ingest, service
from fedishare.remote.fetch import signed_get
from fedishare.statuses.notes import publish_note
from fedishare.statuses.visibility import can_see
from fedishare.storage import follows, statuses
from fedishare.storage.actors import LocalActor
from fedishare.storage.listing_search import Query
from tests.harness import Network, Node
from tests.listings.factory import draft
from tests.listings.federation_support import arrives, found, kept, member, peer, settled
from tests.waiting import eventually
from tests.web.board_support import cards
from tests.web.signed_in import signed_in

ALICE = "http://oak.test/users/alice"
AS = {"Accept": "application/activity+json"}


async def follows_alice(node: Node, someone: LocalActor) -> None:
    await follow_actor(node.instance, someone, ALICE)
    follower = f"{node.base}/users/{someone.username}"

    async def accepted() -> bool:
        found = await follows.find(node.instance.db, follower, ALICE)
        return found is not None and found.state == "accepted"

    await eventually(accepted)


async def fetched_status(node: Node, url: str) -> int:
    try:
        await signed_get(node.instance, url)
    except FetchError as exc:
        assert exc.status is not None, exc.reason
        return exc.status
    return 200


async def test_a_followers_only_listing_reaches_followers_and_nobody_else(
    clocked_net: Network,
) -> None:
    oak = await clocked_net.add("oak.test")
    elm = await clocked_net.add("elm.test")
    pine = await clocked_net.add("pine.test")
    alice = await member(oak, "alice")
    bob, dave = await member(elm, "bob"), await member(elm, "dave")
    await member(pine, "carol")
    await follows_alice(elm, bob)

    change = await service.create_listing(
        oak.instance, alice, draft(visibility="followers", title="Just for friends")
    )
    listing_id = change.listing.id
    assert change.activity["to"] == [f"{ALICE}/followers", "http://oak.test/users/community"]
    assert change.activity["cc"] == []

    kept_at_elm = await arrives(elm, listing_id)
    assert kept_at_elm.visibility == "followers"
    row = await statuses.by_uri(elm.instance.db, listing_id)
    assert row is not None and row.visibility == "private"
    assert await can_see(elm.instance, bob, row)
    assert not await can_see(elm.instance, dave, row)
    assert not await can_see(elm.instance, None, row)
    assert await found(elm, Query()) == []  # not on the board of everyone
    assert await found(elm, Query(viewer="http://elm.test/users/bob")) == [listing_id]
    assert await found(elm, Query(viewer="http://elm.test/users/dave")) == []
    # On elm's board, bob sees it as a card that reads in full (alice's server would not
    # show its page to his browser) and that he answers from here.
    async with signed_in(clocked_net, elm, bob) as browser:
        [friends] = cards((await browser.get("/board")).text)
    assert "Followers only" in friends and "15 years old, some rust, rides fine." in friends
    assert "Just for friends</h3>" in friends and f'href="{listing_id}"' not in friends
    assert "/conversations/new?listing=" in friends
    async with signed_in(clocked_net, elm, dave) as browser:
        assert cards((await browser.get("/board")).text) == []

    await settled(oak, elm, pine)
    # Delivered to elm only, and never announced by the community.
    posted_to = {r.url.host for r in clocked_net.router.requests if r.method == "POST"}
    assert posted_to == {"elm.test", "oak.test"}  # oak.test: elm's Follow and its Accept
    announced = await oak.instance.db.fetch_value(
        "SELECT count(*) FROM outbox_activities WHERE document LIKE '%\"Announce\"%'"
        " AND document LIKE ?",
        (f"%{listing_id}%",),
    )
    assert announced == 0

    # A server with no follower of alice is answered as if the listing did not exist,
    # and so is an unsigned GET.
    assert await fetched_status(pine, listing_id) == 404
    assert await ingest.refresh(pine.instance, listing_id) is ingest.Outcome.SKIPPED
    assert await kept(pine, listing_id) is None
    unsigned = await pine.client.get(listing_id, headers=AS)
    assert unsigned.status_code == 404
    assert await fetched_status(elm, listing_id) == 200

    # Its changes follow the same road; its deletion reaches the follower's server too.
    edit = draft(title="Friends' bike", visibility="followers")
    await service.edit_listing(oak.instance, alice, listing_id, edit)

    async def renamed() -> bool:
        found = await kept(elm, listing_id)
        return found is not None and found.title == "Friends' bike"

    await eventually(renamed)
    await service.delete_listing(oak.instance, alice, listing_id)

    async def dropped() -> bool:
        return await kept(elm, listing_id) is None

    await eventually(dropped)


async def test_a_listing_made_followers_only_leaves_peers_without_followers(
    clocked_net: Network,
) -> None:
    oak, elm = await clocked_net.add("oak.test"), await clocked_net.add("elm.test")
    pine = await clocked_net.add("pine.test")
    alice, bob = await member(oak, "alice"), await member(elm, "bob")
    await follows_alice(elm, bob)
    await peer(pine, oak)  # pine takes oak's listings through its community
    bike = (await service.create_listing(oak.instance, alice, draft())).listing.id
    await arrives(pine, bike)
    await arrives(elm, bike)

    edit = draft(title="Only for friends now", visibility="followers")
    update = await service.edit_listing(oak.instance, alice, bike, edit)

    async def gone_from_pine() -> bool:
        return await kept(pine, bike) is None

    await eventually(gone_from_pine)

    async def narrowed_at_elm() -> bool:
        found = await kept(elm, bike)
        return found is not None and found.visibility == "followers"

    await eventually(narrowed_at_elm)
    # The community told its followers which listing to look at again, and nothing of it.
    rows = await oak.instance.db.fetch_all(
        "SELECT document FROM outbox_activities WHERE document LIKE ?",
        (f"%{update.activity['id']}%",),
    )
    shared = [json.loads(r[0]) for r in rows if json.loads(r[0])["type"] == "Announce"]
    assert len(shared) == 1
    assert shared[0]["object"] == {
        "id": update.activity["id"],
        "type": "Update",
        "actor": ALICE,
        "object": bike,
    }
    assert (shared[0]["to"], shared[0]["cc"]) == (["http://oak.test/users/community/followers"], [])

    # Public again: the community announces that change too, and pine takes the listing
    # back in, to its board, its search and its status index.
    await service.edit_listing(oak.instance, alice, bike, draft(title="Free to all again"))

    async def back_at_pine() -> bool:
        found = await kept(pine, bike)
        return found is not None and found.title == "Free to all again"

    await eventually(back_at_pine)
    assert await found(pine, Query(words="again")) == [bike]
    row = await statuses.by_uri(pine.instance.db, bike)
    assert row is not None and not row.deleted and row.visibility == "public"


async def test_a_follower_gone_takes_their_server_off_the_readers(clocked_net: Network) -> None:
    oak, elm = await clocked_net.add("oak.test"), await clocked_net.add("elm.test")
    pine = await clocked_net.add("pine.test")
    alice = await member(oak, "alice")
    bob = await member(elm, "bob")
    await follows_alice(elm, bob)
    change = await service.create_listing(oak.instance, alice, draft(visibility="followers"))
    await arrives(elm, change.listing.id)
    # A followers-only note is served the same way; a direct one to no server.
    private = await publish_note(
        oak.instance, alice, {"content": "hi", "to": [f"{ALICE}/followers"]}
    )
    direct = await publish_note(
        oak.instance, alice, {"content": "hi", "to": [f"{elm.base}/users/bob"]}
    )
    readable = [change.listing.id, private["object"]["id"]]
    for url in readable:
        assert await fetched_status(elm, url) == 200
        assert await fetched_status(pine, url) == 404
    assert await fetched_status(elm, direct["object"]["id"]) == 404

    async with oak.instance.db.transaction() as tx:
        await follows.remove(tx, f"{elm.base}/users/bob", ALICE)
    for url in readable:
        assert await fetched_status(elm, url) == 404
