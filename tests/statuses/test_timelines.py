"""The status index kept in step by the writers of objects and listings, and the timelines
over it: who sees what, and pages by max_id, since_id and min_id."""

from __future__ import annotations

from typing import Any

import pytest

from fedishare.accounts.members import create_member
from fedishare.context import Instance
from fedishare.core.activitystreams import PUBLIC
from fedishare.core.errors import NotFound
from fedishare.core.paging import Page
from fedishare.core.snowflake import time_of
from fedishare.listings.service import create_listing, delete_listing
from fedishare.statuses import timelines, visibility
from fedishare.storage import follows, objects
from fedishare.storage import statuses as index
from fedishare.storage.actors import LocalActor
from tests.clock import FakeClock
from tests.harness import Node
from tests.listings.factory import draft

BOB = "http://elm.test/users/bob"


def _inst(node: Node) -> Instance:
    return node.instance


async def _note(
    inst: Instance,
    number: int,
    author: str,
    to: list[str],
    cc: list[str] | None = None,
    *,
    local_actor_id: int | None = None,
    **more: Any,
) -> index.StatusRow:
    uri = f"{author}/notes/{number}"
    doc = {"id": uri, "type": "Note", "attributedTo": author, "to": to, "cc": cc or []} | more
    async with inst.db.transaction() as tx:
        assert await objects.insert(
            tx,
            doc,
            attributed_to=author,
            published=inst.clock().isoformat(timespec="seconds"),
            in_reply_to=more.get("inReplyTo"),
            local_actor_id=local_actor_id,
        )
    row = await index.by_uri(inst.db, uri)
    assert row is not None
    return row


async def _follow(inst: Instance, follower: str, followee: str, state: str = "accepted") -> None:
    async with inst.db.transaction() as tx:
        await follows.upsert(tx, follower, followee, f"{follower}#f-{followee}", state, "now")


async def _member(inst: Instance, name: str) -> tuple[LocalActor, str]:
    actor = await create_member(inst.db, inst.clock, name)
    return actor, f"{inst.urls.base}/users/{name}"


async def test_notes_are_indexed_with_visibility_tags_mentions_and_edits(oak: Node) -> None:
    inst = _inst(oak)
    alice, me = await _member(inst, "alice")
    row = await _note(
        inst,
        1,
        me,
        [PUBLIC],
        local_actor_id=alice.id,
        tag=[{"type": "Hashtag", "name": "#Bikes"}, {"type": "Mention", "href": BOB}],
    )
    assert (row.kind, row.visibility, row.local_actor_id, row.has_media) == (
        "note",
        "public",
        alice.id,
        False,
    )
    assert time_of(row.id) == inst.clock().replace(microsecond=0)
    assert await index.tags_of(inst.db, row.id) == ["bikes"]
    assert await index.mentions_of(inst.db, row.id) == [BOB]
    assert (await _note(inst, 2, me, [], [PUBLIC])).visibility == "unlisted"
    assert (await _note(inst, 3, me, [f"{me}/followers"])).visibility == "private"
    assert (await _note(inst, 4, me, [BOB])).visibility == "direct"
    # Same second: ids still grow in the order stored.
    assert [r.id for r in await timelines.of_account(inst, alice, me, Page(10))] == sorted(
        [(await index.by_uri(inst.db, f"{me}/notes/{n}")).id for n in (1, 2, 3, 4)],  # type: ignore[union-attr]
        reverse=True,
    )
    edited = {"id": row.uri, "type": "Note", "to": [PUBLIC], "tag": [], "attachment": [{}]}
    async with inst.db.transaction() as tx:
        await objects.replace_document(tx, row.uri, edited, "2030-01-01T00:00:00Z")
    after = await index.get(inst.db, row.id)
    assert after is not None and after.has_media and after.visibility == "public"
    assert await index.tags_of(inst.db, row.id) == []
    async with inst.db.transaction() as tx:
        await objects.mark_deleted(tx, row.uri, "2030-01-02T00:00:00Z")
    gone = await index.get(inst.db, row.id)
    assert gone is not None and gone.deleted
    assert row.id not in [r.id for r in await timelines.public(inst, Page(10))]


async def test_local_listings_are_indexed_with_their_tags_and_the_community_boost(
    oak: Node,
) -> None:
    inst = _inst(oak)
    alice, me = await _member(inst, "alice")
    change = await create_listing(inst, alice, draft(purpose="offer"))
    row = await index.by_uri(inst.db, change.listing.id)
    assert row is not None
    assert (row.kind, row.author, row.local_actor_id, row.visibility) == (
        "listing",
        me,
        alice.id,
        "public",
    )
    assert set(await index.tags_of(inst.db, row.id)) >= {"offer", "oakfield"}
    tagged = await timelines.tag(inst, "#Offer", Page(10))
    assert [r.id for r in tagged] == [row.id]
    # The community's Announce is a boost; members following the community see it.
    _, carol = await _member(inst, "carol")
    community = f"{inst.urls.base}/users/{inst.config.community.handle}"
    await _follow(inst, carol, community)
    carol_actor = await _carol(inst)
    home = await timelines.home(inst, carol_actor, Page(10))
    assert [(r.kind, r.author, r.reblog_of) for r in home] == [("reblog", community, row.id)]
    await delete_listing(inst, alice, change.listing.id)
    assert (await index.get(inst.db, row.id)).deleted  # type: ignore[union-attr]
    assert await timelines.home(inst, carol_actor, Page(10)) == []
    assert await timelines.tag(inst, "offer", Page(10)) == []


async def _carol(inst: Instance) -> LocalActor:
    from fedishare.storage.actors import find_by_username

    found = await find_by_username(inst.db, "carol")
    assert found is not None
    return found


async def test_who_sees_what(oak: Node) -> None:
    inst = _inst(oak)
    alice, me = await _member(inst, "alice")
    dave, dave_uri = await _member(inst, "dave")
    await _follow(inst, me, BOB)
    public = await _note(inst, 1, BOB, [PUBLIC])
    private = await _note(inst, 2, BOB, [f"{BOB}/followers"])
    to_alice = await _note(inst, 3, BOB, [me])
    to_dave = await _note(inst, 4, BOB, [dave_uri])
    stranger = await _note(inst, 5, "http://elm.test/users/eve", [PUBLIC])
    own = await _note(inst, 6, me, [BOB], local_actor_id=alice.id)
    home = [r.id for r in await timelines.home(inst, alice, Page(20))]
    assert home == [own.id, to_alice.id, private.id, public.id]
    assert [r.id for r in await timelines.home(inst, dave, Page(20))] == [to_dave.id]
    assert [r.id for r in await timelines.public(inst, Page(20))] == [stranger.id, public.id]
    assert [r.id for r in await timelines.public(inst, Page(20), local=False)] == [
        stranger.id,
        public.id,
    ]
    assert await timelines.public(inst, Page(20), local=True) == []
    assert [r.id for r in await timelines.of_account(inst, dave, BOB, Page(20))] == [
        to_dave.id,
        public.id,
    ]
    assert [r.id for r in await timelines.of_account(inst, alice, BOB, Page(20))] == [
        to_alice.id,
        private.id,
        public.id,
    ]
    assert [r.id for r in await timelines.of_account(inst, None, BOB, Page(20))] == [public.id]
    assert await timelines.of_account(inst, alice, BOB, Page(20), pinned=True) == []
    assert (await visibility.visible(inst, alice, private.id)).id == private.id
    for hidden in (private.id, to_alice.id):
        with pytest.raises(NotFound):
            await visibility.visible(inst, dave, hidden)
    with pytest.raises(NotFound):
        await visibility.visible(inst, None, to_dave.id)


async def test_context_and_replies(oak: Node) -> None:
    inst = _inst(oak)
    alice, me = await _member(inst, "alice")
    root = await _note(inst, 1, BOB, [PUBLIC])
    first = await _note(inst, 2, me, [PUBLIC], local_actor_id=alice.id, inReplyTo=root.uri)
    deep = await _note(inst, 3, BOB, [PUBLIC], inReplyTo=first.uri)
    second = await _note(inst, 4, BOB, [PUBLIC], inReplyTo=root.uri)
    secret = await _note(inst, 5, BOB, ["http://elm.test/users/zed"], inReplyTo=root.uri)
    ancestors, descendants = await timelines.context(inst, alice, deep)
    assert [r.id for r in ancestors] == [root.id, first.id]
    assert descendants == []
    ancestors, descendants = await timelines.context(inst, alice, root)
    assert ancestors == []
    assert [r.id for r in descendants] == [first.id, deep.id, second.id]
    assert secret.id not in [r.id for r in descendants]
    replies = await timelines.of_account(inst, alice, me, Page(20), exclude_replies=True)
    assert replies == []


async def test_pages_by_max_id_since_id_and_min_id(oak: Node, clock: FakeClock) -> None:
    inst = _inst(oak)
    rows = []
    for n in range(7):
        rows.append(await _note(inst, n, BOB, [PUBLIC]))
        clock.advance(seconds=1)
    ids = [r.id for r in reversed(rows)]  # newest first

    async def page(**kw: int) -> list[int]:
        return [r.id for r in await timelines.public(inst, Page(3, **kw))]

    assert await page() == ids[:3]
    assert await page(max_id=ids[2]) == ids[3:6]
    assert await page(since_id=ids[5]) == ids[:3]
    assert await page(min_id=ids[5]) == ids[2:5]
    assert await page(max_id=ids[0], min_id=ids[3]) == ids[1:3]
