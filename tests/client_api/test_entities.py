"""Accounts, statuses, media and relationships as the client API renders them: local and
remote actors, notes, listings, boosts, replies, mentions, tags, content warnings and photos,
each validated against Mastodon's schema."""

from __future__ import annotations

import contextvars
import copy
import json
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from fedishare.client_api.entities.account import (
    account_id,
    account_uri,
    render_account,
    render_accounts,
)
from fedishare.client_api.entities.html import plain_html
from fedishare.client_api.entities.relationship import render_relationships
from fedishare.client_api.entities.status import render_status, render_statuses
from fedishare.client_api.entities.tag import render_tag
from fedishare.client_api.entities.times import mastodon_date, mastodon_time
from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.listings.service import create_listing, group_id
from fedishare.media.uploads import upload
from fedishare.statuses import interactions
from fedishare.storage import account_relations, follows, objects, remote_actors
from fedishare.storage import statuses as status_index
from fedishare.storage.remote_actors import RemoteActor
from fedishare.storage.statuses import StatusRow
from tests.client_api.conftest import Api
from tests.client_api.schema import check_entity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fediverse"
JOHN = "https://mastodon.example/users/john"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

OFFER = {
    "kind": "give",
    "title": "Blue one-speed bike",
    "description": "15 years old, some rust, rides fine.",
    "place": {"name": "Oakfield", "latitude": 51.5, "longitude": -0.12},
}


def john_document() -> JSON:
    """An actor document as Mastodon serves one (fields, an emoji, avatar and header)."""
    return {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": JOHN,
        "type": "Person",
        "preferredUsername": "john",
        "name": "John :blob:",
        "summary": '<p>Bikes <script>alert(1)</script><a href="https://x.example">x</a></p>',
        "url": "https://mastodon.example/@john",
        "published": "2023-02-04T00:00:00Z",
        "manuallyApprovesFollowers": True,
        "discoverable": True,
        "indexable": False,
        "inbox": f"{JOHN}/inbox",
        "icon": {"type": "Image", "mediaType": "image/png", "url": "https://m.example/a.png"},
        "image": {"type": "Image", "mediaType": "image/png", "url": "https://m.example/h.png"},
        "attachment": [
            {"type": "PropertyValue", "name": "Site", "value": '<a href="https://j.example">j</a>'}
        ],
        "tag": [
            {
                "type": "Emoji",
                "name": ":blob:",
                "icon": {"type": "Image", "url": "https://m.example/blob.png"},
            }
        ],
    }


async def add_john(inst: Instance) -> None:
    actor = RemoteActor(
        id=JOHN,
        host="mastodon.example",
        type="Person",
        preferred_username="john",
        name="John :blob:",
        inbox=f"{JOHN}/inbox",
        shared_inbox="https://mastodon.example/inbox",
        followers=f"{JOHN}/followers",
        key_id=f"{JOHN}#main-key",
        public_key_pem="",
        fetched_at=time.time(),
    )
    async with inst.db.transaction() as tx:
        await remote_actors.upsert(tx, actor, john_document())


def johns_note(api: Api, **changes: Any) -> JSON:
    """Mastodon's captured Note, moved to John's host, with `changes`."""
    created = json.loads((FIXTURES / "mastodon_flow_1_create_note.json").read_text())
    note: JSON = copy.deepcopy(created["object"])
    note = json.loads(json.dumps(note).replace("https://mastodon/", "https://mastodon.example/"))
    alice = actor_id(api.node.instance.urls, api.member)
    note["cc"] = [f"{JOHN}/followers", alice]
    return note | changes


async def store_remote(inst: Instance, note: JSON) -> StatusRow:
    async with inst.db.transaction() as tx:
        await objects.insert(
            tx,
            note,
            attributed_to=note["attributedTo"],
            published=note["published"],
            in_reply_to=note.get("inReplyTo"),
        )
    row = await status_index.by_uri(inst.db, note["id"])
    assert row is not None, "the storage hooks index every stored object"
    return row


def png(width: int = 300, height: int = 200) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), (200, 20, 20)).save(out, "PNG")
    return out.getvalue()


def status_of(inst: Instance, uri: str) -> Any:
    return status_index.by_uri(inst.db, uri)


# Accounts


async def test_a_member_as_their_own_credential_account(api: Api) -> None:
    inst = api.node.instance
    me = actor_id(inst.urls, api.member)
    account = check_entity(await render_account(inst, me, source=True), "CredentialAccount")
    assert account["username"] == account["acct"] == "alice"
    assert account["id"].isdigit() and account["id"] == await account_id(inst, me)
    assert await account_uri(inst, account["id"]) == me
    assert account["avatar"] == f"{inst.urls.base}/avatars/person.png"
    assert account["header"] == f"{inst.urls.base}/static/header.png"
    assert (account["group"], account["bot"], account["locked"]) == (False, False, False)
    assert account["statuses_count"] == 0 and account["last_status_at"] is None
    assert account["source"]["privacy"] == "public" and account["source"]["fields"] == []
    assert account["role"]["permissions"] == "65536"
    assert account["created_at"].endswith("T00:00:00.000Z")

    await create_listing(inst, api.member, OFFER)
    account = check_entity(await render_account(inst, me), "Account")
    assert account["statuses_count"] == 1
    assert account["last_status_at"] == mastodon_date(inst.clock())
    assert "source" not in account


async def test_the_default_header_and_avatar_are_served(api: Api) -> None:
    account = await render_account(api.node.instance, actor_id(api.node.instance.urls, api.member))
    for url in (account["avatar"], account["header"]):
        response = await api.node.client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"


async def test_the_community_is_a_group_and_the_instance_a_bot(api: Api) -> None:
    inst = api.node.instance
    group = check_entity(await render_account(inst, group_id(inst)), "Account")
    assert group["group"] is True and group["acct"] == "community"
    assert group["avatar"].endswith("/avatars/group.png")
    server = check_entity(await render_account(inst, inst.urls.instance_actor), "Account")
    assert server["bot"] is True and server["discoverable"] is False


async def test_a_remote_actor_with_fields_emojis_and_images(api: Api) -> None:
    inst = api.node.instance
    await add_john(inst)
    john = check_entity(await render_account(inst, JOHN), "Account")
    assert john["acct"] == "john@mastodon.example" and john["username"] == "john"
    assert john["locked"] is True and john["discoverable"] is True
    assert john["display_name"] == "John :blob:"
    assert john["emojis"] == [
        {
            "shortcode": "blob",
            "url": "https://m.example/blob.png",
            "static_url": "https://m.example/blob.png",
            "visible_in_picker": False,
        }
    ]
    assert john["avatar"] == "https://m.example/a.png"
    assert john["header"] == "https://m.example/h.png"
    assert john["url"] == "https://mastodon.example/@john"
    assert john["created_at"] == "2023-02-04T00:00:00.000Z"
    assert "<script>" not in john["note"] and "x.example" in john["note"]
    assert john["fields"][0]["name"] == "Site"
    assert 'href="https://j.example"' in john["fields"][0]["value"]


async def test_unknown_accounts_and_ids(api: Api) -> None:
    inst = api.node.instance
    with pytest.raises(NotFound):
        await render_account(inst, "https://nowhere.example/users/x")
    assert await render_accounts(inst, ["https://nowhere.example/users/x"]) == {}
    assert await account_uri(inst, "99999") is None
    assert await account_uri(inst, "abc") is None
    first = await account_id(inst, "https://nowhere.example/users/x")
    assert await account_id(inst, "https://nowhere.example/users/x") == first


# Statuses


async def test_a_listing_is_a_status_with_its_text_photos_and_tags(api: Api) -> None:
    inst = api.node.instance
    photo = await upload(inst, api.member, png(), name="bike.png")
    url = f"{inst.urls.base}/media/{photo.path}"
    change = await create_listing(
        inst, api.member, OFFER | {"images": [{"url": url, "alt": "The bike, side on"}]}
    )
    row = await status_of(inst, change.listing.id)
    status = check_entity(await render_status(inst, api.member, row), "Status")
    assert status["id"] == str(row.id) and status["uri"] == status["url"] == change.listing.id
    assert "OFFER · free: Blue one-speed bike" in status["content"]
    assert "15 years old" in status["content"]
    assert status["account"]["acct"] == "alice"
    assert status["visibility"] == "public" and status["spoiler_text"] == ""
    assert [t["name"] for t in status["tags"]] == ["offer", "oakfield"]
    assert status["tags"][0]["url"] == f"{inst.urls.base}/tags/offer"
    [media] = status["media_attachments"]
    assert media["id"] == str(photo.id) and media["type"] == "image"
    assert media["url"] == url and media["preview_url"].endswith(".small.jpg")
    assert media["description"] == "The bike, side on"
    assert media["meta"]["original"]["width"] == photo.width
    assert status["favourited"] is False and status["pinned"] is False
    assert status["edited_at"] is None


async def test_a_remote_note_with_mentions_tags_warning_and_media(api: Api) -> None:
    inst = api.node.instance
    await add_john(inst)
    alice = actor_id(inst.urls, api.member)
    note = johns_note(
        api,
        content=(
            '<p><span class="h-card"><a href="http://oak.test/users/alice" class="u-url mention">'
            '@<span>alice</span></a></span> a free <a href="https://mastodon.example/tags/Offer"'
            ' class="mention hashtag" rel="tag">#<span>Offer</span></a></p><script>x()</script>'
        ),
        summary="bikes",
        tag=[
            {"type": "Mention", "href": alice, "name": "@alice@oak.test"},
            {"type": "Hashtag", "href": "https://mastodon.example/tags/offer", "name": "#Offer"},
        ],
        attachment=[
            {
                "type": "Document",
                "mediaType": "image/jpeg",
                "url": "https://mastodon.example/files/1.jpg",
                "name": "A bike",
                "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
                "width": 400,
                "height": 300,
            }
        ],
    )
    row = await store_remote(inst, note)
    status = check_entity(await render_status(inst, api.member, row), "Status")
    assert status["account"]["acct"] == "john@mastodon.example"
    assert status["url"] == "https://mastodon.example/@john/9876"
    assert status["created_at"] == "2023-02-04T08:52:55.000Z"
    assert status["spoiler_text"] == "bikes" and status["sensitive"] is True
    assert 'class="u-url mention"' in status["content"]
    assert 'class="mention hashtag"' in status["content"] and "<script>" not in status["content"]
    assert status["mentions"] == [
        {
            "id": await account_id(inst, alice),
            "username": "alice",
            "url": alice,
            "acct": "alice",
        }
    ]
    assert status["tags"] == [{"name": "offer", "url": f"{inst.urls.base}/tags/offer"}]
    [media] = status["media_attachments"]
    assert media["type"] == "image" and media["description"] == "A bike"
    assert media["remote_url"] == "https://mastodon.example/files/1.jpg"
    assert media["blurhash"].startswith("UBL_")
    assert status["language"] == "en"
    # Without a viewer, the viewer's fields are left out, as Mastodon leaves them.
    anonymous = check_entity(await render_status(inst, None, row), "Status")
    assert "favourited" not in anonymous and "bookmarked" not in anonymous


async def test_replies_favourites_bookmarks_and_boosts(api: Api) -> None:
    inst = api.node.instance
    await add_john(inst)
    parent = await store_remote(inst, johns_note(api))
    alice = actor_id(inst.urls, api.member)
    reply: JSON = {
        "id": f"{inst.urls.base}/notes/1",
        "type": "Note",
        "attributedTo": alice,
        "inReplyTo": parent.uri,
        "content": "<p>Yes please</p>",
        "to": [PUBLIC],
        "cc": [JOHN],
        "published": "2023-02-05T10:00:00Z",
    }
    async with inst.db.transaction() as tx:
        await objects.insert(
            tx, reply, attributed_to=alice, published=reply["published"],
            in_reply_to=parent.uri, local_actor_id=api.member.id,
        )  # fmt: skip
    reply_row = await status_of(inst, reply["id"])
    answer = check_entity(await render_status(inst, api.member, reply_row), "Status")
    assert answer["in_reply_to_id"] == str(parent.id)
    assert answer["in_reply_to_account_id"] == await account_id(inst, JOHN)

    await interactions.favourite(inst, api.member, parent.id)
    await interactions.bookmark(inst, api.member, parent.id)
    boost = await interactions.reblog(inst, api.member, parent.id)
    [wrapper, original] = await render_statuses(inst, api.member, [boost, parent])
    check_entity(wrapper, "Status")
    check_entity(original, "Status")
    assert original["replies_count"] == 1
    assert (original["favourites_count"], original["reblogs_count"]) == (1, 1)
    assert original["favourited"] and original["bookmarked"] and original["reblogged"]
    assert wrapper["id"] == str(boost.id) and wrapper["account"]["acct"] == "alice"
    assert wrapper["reblog"]["id"] == str(parent.id)
    assert wrapper["reblog"]["account"]["acct"] == "john@mastodon.example"
    assert wrapper["content"] == "" and wrapper["reblogged"] is True


async def test_a_page_costs_the_same_queries_for_4_statuses_as_for_40(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = api.node.instance
    await add_john(inst)
    rows = [
        await store_remote(inst, johns_note(api, id=f"{JOHN}/statuses/{n}", url=None))
        for n in range(40)
    ]
    # The instance's background workers query the same database meanwhile; only what the
    # rendering asks (in this task, or in tasks it starts) is counted.
    queries: list[str] = []
    rendering: contextvars.ContextVar[bool] = contextvars.ContextVar("rendering", default=False)
    rendering.set(True)
    for name in ("fetch_all", "fetch_one", "fetch_value"):
        real = getattr(inst.db, name)

        async def counted(sql: str, params: Any = (), _real: Any = real) -> Any:
            if rendering.get():
                queries.append(sql)
            return await _real(sql, params)

        monkeypatch.setattr(inst.db, name, counted)
    await render_statuses(inst, api.member, rows[:4])
    few = len(queries)
    assert 0 < few <= 16
    queries.clear()
    rendered = await render_statuses(inst, api.member, rows)
    assert len(rendered) == 40 and len(queries) == few


# Relationships and the rest


async def test_relationships_from_follows_blocks_and_mutes(api: Api) -> None:
    inst = api.node.instance
    await add_john(inst)
    alice = actor_id(inst.urls, api.member)
    bob, _ = await api.new_member("bob")
    bob_uri = actor_id(inst.urls, bob)
    now = mastodon_time(inst.clock())
    async with inst.db.transaction() as tx:
        await follows.upsert(tx, alice, JOHN, "https://oak.test/f/1", "accepted", now)
        await follows.upsert(tx, JOHN, alice, "https://mastodon.example/f/2", "pending", now)
        await account_relations.add_mute(
            tx, api.member.id, JOHN, notifications=True, expires_at=None, now=time.time()
        )
        await account_relations.add_block(tx, bob.id, alice, "https://oak.test/b/1", time.time())
        await account_relations.add_block(tx, api.member.id, bob_uri, "https://oak.test/b/2", 0)
    john, other = await render_relationships(inst, api.member, [JOHN, bob_uri, JOHN])
    check_entity(john, "Relationship")
    check_entity(other, "Relationship")
    assert john["id"] == await account_id(inst, JOHN)
    assert john["following"] and john["showing_reblogs"] and john["requested_by"]
    assert not john["followed_by"] and not john["requested"]
    assert john["muting"] and john["muting_notifications"] and not john["blocking"]
    assert other["blocking"] and other["blocked_by"] and not other["following"]


def test_plain_text_becomes_linked_paragraphs() -> None:
    html = plain_html(
        "Hi @bob and @carol@elm.test: see https://example.com/a?b=1.\n#Offer <3\n\nBye",
        tag_base="https://oak.test",
        mentions={"bob": "https://oak.test/users/bob"},
    )
    assert html == (
        '<p>Hi <span class="h-card"><a href="https://oak.test/users/bob" class="u-url mention">'
        "@<span>bob</span></a></span> and @carol@elm.test: see "
        '<a href="https://example.com/a?b=1" rel="nofollow noopener noreferrer" target="_blank">'
        "https://example.com/a?b=1</a>.<br>"
        '<a href="https://oak.test/tags/offer" class="mention hashtag" rel="tag">#<span>Offer'
        "</span></a> &lt;3</p><p>Bye</p>"
    )


def test_times_as_mastodon_writes_them() -> None:
    assert mastodon_time("2023-02-04T08:52:55Z") == "2023-02-04T08:52:55.000Z"
    assert mastodon_time("2023-02-04T10:52:55.123456+02:00") == "2023-02-04T08:52:55.123Z"
    assert mastodon_time("2023-02-04T08:52:55") == "2023-02-04T08:52:55.000Z"
    assert mastodon_date("2023-02-04T23:59:59Z") == "2023-02-04"


async def test_a_tag(api: Api) -> None:
    tag = check_entity(render_tag(api.node.instance, "Offer", following=False), "Tag")
    assert tag["url"] == "http://oak.test/tags/offer" and tag["id"].isdigit()
