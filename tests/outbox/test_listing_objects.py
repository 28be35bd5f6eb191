"""GET /ns and GET /listings/{id} as anything but a browser asks for it (ActivityStreams
JSON), on a tiny app holding just these routes (the page: tests/web/test_listing_pages)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from fedishare.accounts.members import create_member
from fedishare.http.errors import ANSWERED, handle_refusal
from fedishare.listings import service
from fedishare.listings.vocabulary import NS, TERMS
from fedishare.outbox import listing_objects
from fedishare.web import listing_pages
from tests.harness import Node
from tests.listings.factory import draft, stay_draft


@pytest.fixture
async def client(oak: Node) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(
        routes=[*listing_objects.routes, *listing_pages.routes],
        exception_handlers={cls: handle_refusal for cls in ANSWERED},
    )

    async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
        await app({**scope, "state": {"instance": oak.instance}}, receive, send)

    transport = httpx.ASGITransport(app=with_state)
    async with httpx.AsyncClient(transport=transport, base_url="http://oak.test") as c:
        yield c


async def test_the_vocabulary_document(client: httpx.AsyncClient) -> None:
    r = await client.get("/ns")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/ld+json"
    doc = r.json()
    assert doc["@id"] == NS.rstrip("#")
    assert doc["@context"][1]["listingKind"] == TERMS["listingKind"] == "fs:listingKind"
    defined = {entry["@id"] for entry in doc["@graph"]}
    ours = {f"fs:{k}" for k, v in TERMS.items() if isinstance(v, str) and v.startswith("fs:")}
    ours |= {"fs:reservedFor"}
    assert ours == defined
    kinds = next(e for e in doc["@graph"] if e["@id"] == "fs:listingKind")
    assert kinds["fs:allowedValues"] == ["give", "lend", "wanted", "help", "stay"]


async def test_a_listing_is_served_at_its_id_until_deleted(
    oak: Node, client: httpx.AsyncClient
) -> None:
    inst = oak.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    change = await service.create_listing(inst, alice, draft())
    path = change.listing.id.removeprefix("http://oak.test")
    r = await client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/activity+json"
    assert r.json() == change.activity["object"]

    await service.delete_listing(inst, alice, change.listing.id)
    r = await client.get(path)
    assert r.status_code == 410 and r.json()["type"] == "Tombstone"
    assert (await client.get("/listings/unknown")).status_code == 404


async def test_followers_only_listings_are_not_served_to_anyone(
    oak: Node, client: httpx.AsyncClient
) -> None:
    inst = oak.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    unlisted = await service.create_listing(inst, alice, stay_draft())
    private = await service.create_listing(inst, alice, stay_draft(visibility="followers"))
    r = await client.get(unlisted.listing.id.removeprefix("http://oak.test"))
    assert r.status_code == 200
    r = await client.get(private.listing.id.removeprefix("http://oak.test"))
    assert r.status_code == 404
