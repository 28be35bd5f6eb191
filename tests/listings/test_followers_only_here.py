"""A followers-only listing on its author's own instance: the author and the members who
follow them find it on the board, the author's profile, its page and the JSON API, and
answer it; other members, visitors and apps without a follower's token never learn of it."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from fedishare.accounts.members import create_member
from fedishare.follows.following import follow_actor, unfollow_actor
from fedishare.listings import answering, service
from fedishare.storage import follows, tokens
from fedishare.storage.actors import LocalActor
from tests.harness import Network, Node
from tests.listings.factory import draft
from tests.waiting import eventually
from tests.web.board_support import card_titles, cards
from tests.web.signed_in import HTML, signed_in

OAK = "http://oak.test"


async def member(node: Node, name: str) -> LocalActor:
    return await create_member(node.instance.db, node.instance.clock, name)


async def follows_alice(node: Node, someone: LocalActor) -> None:
    await follow_actor(node.instance, someone, f"{OAK}/users/alice")

    async def accepted() -> bool:
        found = await follows.find(
            node.instance.db, f"{OAK}/users/{someone.username}", f"{OAK}/users/alice"
        )
        return found is not None and found.state == "accepted"

    await eventually(accepted)


async def api(node: Node, path: str, token: str | None = None) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return await node.client.get(node.base + path, headers=headers)


async def test_a_followers_only_listing_shows_to_the_author_and_followers_only(
    net: Network,
) -> None:
    oak = await net.add("oak.test")
    alice, bob, carol = [await member(oak, n) for n in ("alice", "bob", "carol")]
    await follows_alice(oak, bob)
    await service.create_listing(oak.instance, alice, draft(title="A public bike"))
    change = await service.create_listing(
        oak.instance, alice, draft(title="Just for friends", visibility="followers")
    )
    listing_id = change.listing.id
    path = listing_id.removeprefix(OAK)
    answer = "/conversations/new?listing=" + quote(listing_id, safe="")

    for someone, sees in ((alice, True), (bob, True), (carol, False)):
        async with signed_in(net, oak, someone) as browser:
            board = (await browser.get("/board")).text
            profile = (await browser.get("/users/alice")).text
            page = await browser.get(path)
            answer_form = await browser.get(answer)
        expected = ["Just for friends", "A public bike"] if sees else ["A public bike"]
        assert card_titles(board) == expected, someone.username
        assert card_titles(profile) == expected, someone.username
        assert page.status_code == (200 if sees else 404), someone.username
        if sees:
            friends = next(c for c in cards(board) if "Just for friends" in c)
            assert "Followers only" in friends
        if someone is bob:
            assert answer_form.status_code == 200 and "Just for friends" in answer_form.text
        elif someone is carol:  # as if there were no such listing
            assert answer_form.status_code == 404

    async with httpx.AsyncClient(transport=net.router, headers={"Accept": HTML}) as visitor:
        assert card_titles((await visitor.get(oak.base + "/board")).text) == ["A public bike"]
        assert (await visitor.get(oak.base + path)).status_code == 404

    # The JSON API: a follower's token finds it, and no token or another member's does not.
    bob_token = await tokens.issue(oak.instance.db, bob.id, oak.instance.clock())
    carol_token = await tokens.issue(oak.instance.db, carol.id, oak.instance.clock())
    for token, sees in ((bob_token, True), (carol_token, False), (None, False)):
        found = (await api(oak, "/api/listings", token)).json()["items"]
        titles = [item["title"] for item in found]
        assert titles == (["Just for friends", "A public bike"] if sees else ["A public bike"])
        one = await api(oak, "/api/listings/one?id=" + quote(listing_id, safe=""), token)
        assert one.status_code == (200 if sees else 404)
        if sees:
            assert one.json()["visibility"] == "followers"
    assert (await api(oak, "/api/listings", "not-a-token")).status_code == 401

    # bob answers, then stops following alice: the listing is no longer his to see, but the
    # conversation he began goes on.
    await answering.answer_listing(oak.instance, bob, listing_id, "<p>Could I borrow it?</p>")
    await unfollow_actor(oak.instance, bob, f"{OAK}/users/alice")
    async with signed_in(net, oak, bob) as browser:
        assert card_titles((await browser.get("/board")).text) == ["A public bike"]
        assert (await browser.get(path)).status_code == 404
        assert (await browser.get(answer)).status_code == 200
    await answering.answer_listing(oak.instance, bob, listing_id, "<p>Or another time?</p>")
