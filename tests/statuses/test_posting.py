"""Posting, editing and deleting statuses in the domain: addressing as Mastodon does it,
mentions resolved (or left as text), idempotency keys, and the one path for plain Notes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from fedishare.accounts.members import create_member
from fedishare.core.activitystreams import PUBLIC
from fedishare.core.errors import NotFound, Unprocessable
from fedishare.statuses.posting import Draft, delete_status, edit_status, post_status, status_source
from fedishare.storage import objects, statuses
from fedishare.storage.actors import LocalActor, set_default_place
from tests.clock import FakeClock
from tests.harness import Network, Node
from tests.waiting import eventually

ALICE = "http://oak.test/users/alice"


async def document(node: Node, uri: str) -> dict[str, Any]:
    stored = await objects.get(node.instance.db, uri)
    assert stored is not None
    return stored.document


@pytest.fixture
async def alice(node: Node) -> LocalActor:
    inst = node.instance
    return await create_member(inst.db, inst.clock, "alice")


@pytest.mark.parametrize(
    ("visibility", "to", "cc"),
    [
        ("public", [PUBLIC], [f"{ALICE}/followers", "http://oak.test/users/carol"]),
        ("unlisted", [f"{ALICE}/followers"], [PUBLIC, "http://oak.test/users/carol"]),
        ("private", [f"{ALICE}/followers"], ["http://oak.test/users/carol"]),
        ("direct", ["http://oak.test/users/carol"], []),
    ],
)
async def test_addressing_follows_the_visibility(
    node: Node, alice: LocalActor, visibility: str, to: list[str], cc: list[str]
) -> None:
    inst = node.instance
    await create_member(inst.db, inst.clock, "carol")
    row = await post_status(inst, alice, Draft("hi @carol", visibility=visibility))
    doc = await document(node, row.uri)
    assert (doc["to"], doc["cc"]) == (to, cc)
    assert row.visibility == visibility and row.kind == "note"


async def test_unknown_mentions_stay_text_and_tags_are_kept(node: Node, alice: LocalActor) -> None:
    row = await post_status(node.instance, alice, Draft("hi @nobody and @x@nowhere.test #Tea"))
    doc = await document(node, row.uri)
    assert doc["tag"] == [{"type": "Hashtag", "href": "http://oak.test/tags/tea", "name": "#tea"}]
    assert "@nobody" in str(doc["content"]) and "@x@nowhere.test" in str(doc["content"])
    assert doc["source"] == {
        "content": "hi @nobody and @x@nowhere.test #Tea",
        "mediaType": "text/plain",
    }


async def test_a_reply_addresses_the_author_replied_to(node: Node, alice: LocalActor) -> None:
    inst = node.instance
    carol = await create_member(inst.db, inst.clock, "carol")
    first = await post_status(inst, carol, Draft("question"))
    reply = await post_status(inst, alice, Draft("answer", in_reply_to_id=first.id))
    doc = await document(node, reply.uri)
    assert doc["inReplyTo"] == first.uri and "http://oak.test/users/carol" in doc["cc"]
    assert reply.in_reply_to == first.uri


async def test_idempotency_keys_last_an_hour(oak: Node, clock: FakeClock) -> None:
    inst = oak.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    one = await post_status(inst, alice, Draft("once", idempotency_key="k"))
    again = await post_status(inst, alice, Draft("once", idempotency_key="k"))
    assert again.id == one.id
    clock.advance(hours=1, seconds=1)
    later = await post_status(inst, alice, Draft("once", idempotency_key="k"))
    assert later.id != one.id


async def test_edit_sets_updated_and_delete_leaves_a_tombstone(oak: Node, clock: FakeClock) -> None:
    inst = oak.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    row = await post_status(inst, alice, Draft("frist", spoiler_text="cw"))
    clock.advance(minutes=5)
    await edit_status(inst, alice, row.id, Draft("first"))
    doc = await document(oak, row.uri)
    assert "first" in str(doc["content"]) and isinstance(doc["updated"], str)
    assert "summary" not in doc
    assert (await status_source(inst, alice, row.id)).text == "first"
    await delete_status(inst, alice, row.id)
    assert (await document(oak, row.uri))["type"] == "Tombstone"
    with pytest.raises(NotFound):
        await edit_status(inst, alice, row.id, Draft("again"))


async def test_a_listing_status_stays_a_listing(node: Node, alice: LocalActor) -> None:
    inst = node.instance
    async with inst.db.transaction() as tx:
        await set_default_place(tx, alice.id, {"name": "Oakfield"})
    alice = replace(alice, default_place={"name": "Oakfield"})
    row = await post_status(inst, alice, Draft("#offer Bike"))
    assert row.kind == "listing"
    with pytest.raises(Unprocessable):
        await edit_status(inst, alice, row.id, Draft("just a bike"))
    reply = await post_status(inst, alice, Draft("#offer or not?", in_reply_to_id=row.id))
    assert reply.kind == "note"  # a reply is never a listing


async def test_mention_of_another_server_arrives_there(net: Network) -> None:
    oak, elm = await net.add("oak.test"), await net.add("elm.test")
    alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
    await create_member(elm.instance.db, elm.instance.clock, "bob")
    row = await post_status(oak.instance, alice, Draft("hi @bob@elm.test", visibility="direct"))
    doc = await document(oak, row.uri)
    assert doc["to"] == ["http://elm.test/users/bob"]
    assert doc["tag"] == [
        {"type": "Mention", "href": "http://elm.test/users/bob", "name": "@bob@elm.test"}
    ]

    async def arrived() -> bool:
        return await objects.get(elm.instance.db, row.uri) is not None

    await eventually(arrived)
    assert await statuses.by_uri(elm.instance.db, row.uri) is not None
