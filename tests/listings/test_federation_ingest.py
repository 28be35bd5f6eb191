"""Taking in another server's listing: only as its origin serves it, only from its own host;
gone at the origin means gone here; boosts of our own listings are still counted."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.core.types import JSON
from fedishare.federation.errors import FetchError
from fedishare.inbox.dispatch import HANDLERS, dispatch
from fedishare.inbox.handlers import announces, changes, listing_changes, replies
from fedishare.inbox.item import InboxItem
from fedishare.listings import ingest, service
from fedishare.listings.ingest import Outcome
from fedishare.listings.wire import to_note
from fedishare.storage import follows, reactions
from tests.harness import Network, Node
from tests.listings.factory import draft, listing
from tests.listings.federation_support import kept, member

FAR = "http://far.test"
GROUP = f"{FAR}/users/group"
AS = "application/activity+json"


class Origin:
    """Another server, serving whatever the test puts at each path."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, JSON]] = {}
        self.app = Starlette(routes=[Route("/{path:path}", self.serve)])

    async def serve(self, request: Request) -> Response:
        status, doc = self.pages.get(request.url.path, (404, {"error": "not found"}))
        return JSONResponse(doc, status_code=status, media_type=AS)

    def put(self, doc: JSON, status: int = 200, path: str | None = None) -> None:
        self.pages[path or doc["id"].removeprefix(FAR)] = (status, doc)


def offer(n: int, **fields: Any) -> JSON:
    item = listing(
        id=f"{FAR}/listings/{n}",
        author=f"{FAR}/users/eve",
        origin="remote",
        audience=GROUP,
        **fields,
    )
    return to_note(item, FAR)


@pytest.fixture
async def elm(clocked_net: Network) -> Node:
    node = await clocked_net.add("elm.test")
    async with node.instance.db.transaction() as tx:
        await follows.upsert(
            tx, "http://elm.test/users/community", GROUP, "http://elm.test/f/1", "accepted", "t"
        )
    return node


@pytest.fixture
def origin(clocked_net: Network) -> Origin:
    far = Origin()
    clocked_net.router.add("far.test", far.app)
    return far


async def test_the_handlers_are_ours() -> None:
    # The listing handlers run after those for posts and actors (notifications after all).
    assert HANDLERS["Announce"][0] == announces.on_announce
    assert HANDLERS["Create"][:2] == (replies.on_create, listing_changes.on_create)
    assert HANDLERS["Update"][:2] == (changes.on_update, listing_changes.on_update)
    assert HANDLERS["Delete"][:2] == (changes.on_delete, listing_changes.on_delete)


async def test_the_origins_version_is_kept_not_the_messages(elm: Node, origin: Origin) -> None:
    real = offer(1)
    origin.put(real)
    forged = {**real, "name": "Free car", "listingStatus": "open"}
    update = {
        "id": f"{FAR}/u/1",
        "type": "Update",
        "actor": real["attributedTo"],
        "object": forged,
    }
    announce = {"id": f"{FAR}/a/1", "type": "Announce", "actor": GROUP, "object": update}
    await dispatch(elm.instance, InboxItem(announce, GROUP, None))
    stored = await kept(elm, real["id"])
    assert stored is not None and stored.title == "Blue one-speed bike"


async def test_refusals(elm: Node, origin: Origin) -> None:
    inst = elm.instance
    # Served under another id; attributed to someone on another host.
    origin.put({**offer(2), "id": f"{FAR}/listings/other"}, path="/listings/2")
    assert await ingest.refresh(inst, f"{FAR}/listings/2") is Outcome.SKIPPED
    origin.put({**offer(3), "attributedTo": "http://elm.test/users/bob"})
    assert await ingest.refresh(inst, f"{FAR}/listings/3") is Outcome.SKIPPED
    # Not a listing at all; one of ours; a host we block.
    origin.put({"id": f"{FAR}/notes/1", "type": "Note", "content": "hi", "attributedTo": GROUP})
    assert await ingest.refresh(inst, f"{FAR}/notes/1") is Outcome.SKIPPED
    assert await ingest.refresh(inst, "http://elm.test/listings/1") is Outcome.SKIPPED
    assert await inst.db.fetch_value("SELECT count(*) FROM listings") == 0


async def test_an_origin_that_fails_is_tried_again_later(elm: Node, origin: Origin) -> None:
    origin.put(offer(4), status=503)
    with pytest.raises(FetchError):
        await ingest.refresh(elm.instance, f"{FAR}/listings/4")
    with pytest.raises(FetchError):
        await ingest.refresh(elm.instance, "http://unknown.test/listings/1")


async def test_gone_at_the_origin_is_gone_here(elm: Node, origin: Origin) -> None:
    inst = elm.instance
    for n in (5, 6, 7):
        origin.put(offer(n))
        assert await ingest.refresh(inst, f"{FAR}/listings/{n}") is Outcome.STORED
    assert await ingest.refresh(inst, f"{FAR}/listings/5") is Outcome.UNCHANGED
    origin.put({"id": f"{FAR}/listings/5", "type": "Tombstone"}, status=410)
    origin.put({"id": f"{FAR}/listings/6", "type": "Tombstone"})
    del origin.pages["/listings/7"]
    for n in (5, 6, 7):
        assert await ingest.refresh(inst, f"{FAR}/listings/{n}") is Outcome.DELETED
        assert await kept(elm, f"{FAR}/listings/{n}") is None
    # A Delete announced by the group names the listing; the origin confirms it.
    origin.put(offer(8))
    await ingest.refresh(inst, f"{FAR}/listings/8")
    del origin.pages["/listings/8"]
    delete = {
        "id": f"{FAR}/d/8",
        "type": "Delete",
        "actor": f"{FAR}/users/eve",
        "object": {"id": f"{FAR}/listings/8", "type": "Tombstone"},
    }
    announce = {"id": f"{FAR}/a/8", "type": "Announce", "actor": GROUP, "object": delete}
    await dispatch(inst, InboxItem(announce, GROUP, None))
    assert await kept(elm, f"{FAR}/listings/8") is None


async def test_an_announced_activity_id_is_followed_to_its_object(
    elm: Node, origin: Origin
) -> None:
    origin.put(offer(9))
    create = {"id": f"{FAR}/c/9", "type": "Create", "actor": f"{FAR}/users/eve"}
    origin.put({**create, "object": f"{FAR}/listings/9"})
    announce = {"id": f"{FAR}/a/9", "type": "Announce", "actor": GROUP, "object": create["id"]}
    await dispatch(elm.instance, InboxItem(announce, GROUP, None))
    assert await kept(elm, f"{FAR}/listings/9") is not None


async def test_boosts_of_our_own_listings_are_counted(clocked_net: Network) -> None:
    oak = await clocked_net.add("oak.test")
    alice = await member(oak, "alice")
    lid = (await service.create_listing(oak.instance, alice, draft())).listing.id
    booster = "http://far.test/users/eve"
    boost = {"id": f"{FAR}/boost/1", "type": "Announce", "actor": booster, "object": lid}
    await dispatch(oak.instance, InboxItem(boost, booster, None))
    assert await reactions.find(oak.instance.db, "Announce", booster, lid) is not None
