"""A listing's page and its forms in the browser: posting with photos (cleaned of their
metadata, refused when they are none or too large), what a visitor, another member and the
author see, the author's actions through the same services as the API, Open Graph for
preview cards, and the ActivityStreams document at the same URL."""

from __future__ import annotations

import html
import re
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from fedishare.accounts.members import create_member
from fedishare.core.listing import Listing
from fedishare.listings import answering, service
from fedishare.storage import actors as actor_store
from fedishare.storage import conversations as conversation_store
from fedishare.storage import listings as listing_store
from fedishare.storage import media as media_store
from fedishare.storage.actors import LocalActor
from tests.harness import Network, Node
from tests.listings.factory import draft
from tests.media.photos import NOT_A_PHOTO, has_gps, noise_png, phone_jpeg
from tests.web.signed_in import Browser, signed_in, visitor

AS = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
OAK = "http://oak.test"
FIELDS = {
    "kind": "give",
    "title": "Blue one-speed bike",
    "description": "15 years old, some rust.\nRides fine.",
    "place_name": "Oakfield",
    "place_latitude": "51.5012",
    "place_longitude": "-0.1234",
    "visibility": "public",
}


def jpeg_upload(data: bytes, name: str = "bike.jpg") -> tuple[str, bytes, str]:
    return (name, data, "image/jpeg")


async def post_new(
    browser: Browser, purpose: str, fields: dict[str, str], files: dict[str, Any] | None = None
) -> httpx.Response:
    # An empty file input is sent as an empty part, as browsers send it.
    parts = {f"file_{n}": ("", b"", "application/octet-stream") for n in range(1, 5)}
    return await browser.post(
        f"/listings/new?purpose={purpose}", fields, files={**parts, **(files or {})}
    )


async def posted(node: Node, response: httpx.Response) -> Listing:
    assert response.status_code == 303, response.text
    path = response.headers["location"]
    assert re.fullmatch(r"/listings/[0-9a-f-]{36}", path), path
    found = await listing_store.get(node.instance.db, OAK + path)
    assert found is not None
    return found


def error_beside(page: str, key: str) -> str:
    found = re.search(rf'id="e-{re.escape(key)}">([^<]*)<', page)
    assert found is not None, f"no error beside {key}"
    return html.unescape(found.group(1))


def submitted(page: str) -> dict[str, str]:
    """What a browser sends for the page's form untouched (but its token)."""
    fields = {}
    for tag in re.findall(r"<input [^>]*>", page):
        attrs = dict(re.findall(r'([a-z-]+)="([^"]*)"', tag))
        kind, name = attrs.get("type", "text"), attrs.get("name")
        if not name or name == "csrf_token" or kind == "file":
            continue
        if kind in ("radio", "checkbox") and " checked" not in tag:
            continue
        fields[name] = html.unescape(attrs.get("value", ""))
    for name, text in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        fields[name] = html.unescape(text)
    return fields


def stored_file(node: Node, url: str) -> Path:
    name = url.removeprefix(f"{OAK}/media/")
    return node.instance.config.instance.media / name


def meta(page: str, prop: str) -> str:
    found = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)">', page)
    assert found is not None, f"no {prop}"
    return html.unescape(found.group(1))


async def member(node: Node, name: str, display: str) -> LocalActor:
    return await create_member(node.instance.db, node.instance.clock, name, display_name=display)


# Photos


async def test_a_photos_gps_and_every_other_tag_are_gone_after_upload(
    net: Network, node: Node
) -> None:
    alice = await member(node, "alice", "Alice")
    original = phone_jpeg((2400, 1800), orientation=6)
    assert has_gps(original) and b"High Street" in original
    async with signed_in(net, node, alice) as browser:
        r = await post_new(browser, "offer", FIELDS, {"file_1": jpeg_upload(original)})
    assert r.status_code == 400  # no alt text: refused beside that photo, the photo kept
    assert "describe the image" in error_beside(r.text, "photo_1")
    kept = re.search(r'name="photo_1" value="([^"]+)"', r.text)
    assert kept is not None
    async with signed_in(net, node, alice) as browser:
        r = await browser.post(
            "/listings/new?purpose=offer",
            {**FIELDS, "photo_1": html.unescape(kept.group(1)), "alt_1": "A blue bike"},
        )
    listing = await posted(node, r)
    (image,) = listing.images
    assert image.url.startswith(f"{OAK}/media/") and image.alt == "A blue bike"
    # Turned upright as the phone said, then the longest side brought to 1600 px.
    assert (image.width, image.height, image.media_type) == (1200, 1600, "image/jpeg")
    assert image.blurhash and len(image.blurhash) >= 6

    full = stored_file(node, image.url).read_bytes()
    small = stored_file(node, image.url.replace(".jpg", ".small.jpg")).read_bytes()
    for data in (full, small):
        assert not has_gps(data)
        assert b"Exif" not in data and b"PhoneCo" not in data and b"High Street" not in data
        with Image.open(BytesIO(data)) as stored:
            assert stored.format == "JPEG" and not stored.getexif()
            assert "comment" not in stored.info and "icc_profile" not in stored.info
    with Image.open(BytesIO(small)) as thumbnail:
        assert thumbnail.size == (300, 400)

    served = await node.client.get(image.url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content == full
    owner = await media_store.get(node.instance.db, 1)
    assert owner is not None and owner.owner_id == alice.id and owner.width == 1200


async def test_a_file_that_is_no_photo_is_refused_beside_the_photos(
    net: Network, node: Node
) -> None:
    alice = await member(node, "alice", "Alice")
    async with signed_in(net, node, alice) as browser:
        r = await post_new(
            browser,
            "offer",
            {**FIELDS, "alt_1": "My list"},
            {"file_1": ("list.txt", NOT_A_PHOTO, "image/jpeg")},
        )
    assert r.status_code == 400
    assert error_beside(r.text, "photos") == (
        "list.txt is not a photo we can read (JPEG, PNG, GIF or WebP)"
    )
    assert 'value="Blue one-speed bike"' in r.text  # what was typed is kept
    assert await node.instance.db.fetch_value("SELECT count(*) FROM listings") == 0
    assert await node.instance.db.fetch_value("SELECT count(*) FROM media") == 0


async def test_a_file_over_the_upload_limit_is_refused_beside_the_photos(net: Network) -> None:
    node = await net.add("oak.test", limits={"max_upload_bytes": 50_000})
    alice = await member(node, "alice", "Alice")
    big = noise_png(160)  # about 77 kB
    assert len(big) > 50_000
    async with signed_in(net, node, alice) as browser:
        r = await post_new(
            browser,
            "offer",
            {**FIELDS, "alt_1": "Noise"},
            {"file_1": ("noise.png", big, "image/png")},
        )
        assert r.status_code == 413
        assert error_beside(r.text, "photos") == "noise.png is larger than 48 kB"
        assert 'value="Blue one-speed bike"' in r.text
        # A body larger than four photos and the text could be is refused before parsing.
        huge = {f"file_{n}": (f"{n}.png", noise_png(400), "image/png") for n in range(1, 5)}
        r = await post_new(browser, "offer", FIELDS, huge)
        assert r.status_code == 413 and "photos: together larger than" in r.text
    assert await node.instance.db.fetch_value("SELECT count(*) FROM media") == 0


# What each reader sees


async def _bike(node: Node, alice: LocalActor, net: Network) -> Listing:
    async with signed_in(net, node, alice) as browser:
        r = await post_new(
            browser,
            "offer",
            {**FIELDS, "alt_1": "A blue bike against a fence"},
            {"file_1": jpeg_upload(phone_jpeg())},
        )
    return await posted(node, r)


async def test_a_visitor_sees_the_listing_and_how_to_reply_from_the_fediverse(
    net: Network, node: Node
) -> None:
    alice = await member(node, "alice", "Alice A.")
    listing = await _bike(node, alice, net)
    path = listing.id.removeprefix(OAK)
    async with visitor(net, node, "/login") as browser:
        r = await browser.get(path)
    assert r.status_code == 200 and r.headers["vary"] == "Accept"
    page = r.text
    assert '<h1 class="p-name">Blue one-speed bike</h1>' in page
    assert "15 years old, some rust.<br>Rides fine." in page
    assert "Oakfield" in page and "51.50, -0.12" in page and "within about 1 km" in page
    assert "Alice A." in page and "@alice@oak.test" in page
    assert ">Free<" in page and ">Open<" in page and "Listed until" in page
    photo = re.search(r'<img src="([^"]+)" alt="A blue bike against a fence"', page)
    assert photo is not None
    assert html.unescape(photo.group(1)).startswith("/media/photo?src=http%3A%2F%2Foak.test")
    # A visitor answers from their own account: the listing's address to paste.
    assert f'id="listing-address" type="url" value="{listing.id}" readonly' in page
    assert "/respond" not in page and "Manage this listing" not in page
    assert "/login?next=" in page
    loaded = await node.client.get(OAK + html.unescape(photo.group(1)))
    assert loaded.status_code == 200 and loaded.headers["content-type"] == "image/jpeg"


async def test_another_member_gets_the_private_answer_form(net: Network, node: Node) -> None:
    alice = await member(node, "alice", "Alice")
    bob = await member(node, "bob", "Bob")
    listing = await _bike(node, alice, net)
    path = listing.id.removeprefix(OAK)
    async with signed_in(net, node, bob) as browser:
        page = (await browser.get(path)).text
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form is not None and form.group(1) == f"{path}/respond"
    assert f'name="csrf_token" value="{browser.csrf}"' in form.group(2)
    assert 'name="content"' in form.group(2) and "Answer privately" in form.group(2)
    assert "Manage this listing" not in page and "listing-address" not in page


async def test_the_author_sees_every_response_and_the_buttons(net: Network, node: Node) -> None:
    alice = await member(node, "alice", "Alice")
    bob = await member(node, "bob", "Bob")
    listing = await _bike(node, alice, net)
    await answering.answer_listing(node.instance, bob, listing.id, "<p>Could I have it?</p>")
    async with signed_in(net, node, alice) as browser:
        page = (await browser.get(listing.id.removeprefix(OAK))).text
    assert "Responses" in page and "Could I have it?" in page and "Bob" in page
    assert "Reserve for Bob" in page and "Manage this listing" in page
    for status in ("taken", "withdrawn"):
        assert f'name="status" value="{status}"' in page
    assert 'name="status" value="open"' not in page  # nothing to reopen while open
    assert "/edit" in page and "/delete" in page and "Delete for good" in page
    assert "Answer privately" not in page


async def test_followers_only_listings_are_only_for_the_author_here(
    net: Network, node: Node
) -> None:
    alice = await member(node, "alice", "Alice")
    bob = await member(node, "bob", "Bob")
    change = await service.create_listing(
        node.instance, alice, draft(visibility="followers", title="Just for friends")
    )
    path = change.listing.id.removeprefix(OAK)
    async with signed_in(net, node, alice) as browser:
        assert "Just for friends" in (await browser.get(path)).text
    async with signed_in(net, node, bob) as browser:
        assert (await browser.get(path)).status_code == 404


# The author's actions


async def test_author_actions_change_the_listing_and_tell_the_others(
    net: Network, node: Node
) -> None:
    inst = node.instance
    alice = await member(node, "alice", "Alice")
    bob = await member(node, "bob", "Bob")
    carol = await member(node, "carol", "Carol")
    listing = await _bike(node, alice, net)
    for someone in (bob, carol):
        await answering.answer_listing(inst, someone, listing.id, "<p>Me please</p>")
    path = listing.id.removeprefix(OAK)
    bob_id, carol_id = f"{OAK}/users/bob", f"{OAK}/users/carol"

    async def status() -> tuple[str, str | None]:
        found = await listing_store.get(inst.db, listing.id)
        assert found is not None
        return found.status, found.reserved_for

    async with signed_in(net, node, alice) as browser:
        r = await browser.post(f"{path}/status", {"status": "reserved", "reserved_for": bob_id})
        assert r.status_code == 303 and r.headers["location"] == path
        assert await status() == ("reserved", bob_id)
        page = (await browser.get(path)).text
        assert "Reserved for Bob." in page and 'name="status" value="open"' in page
        await browser.post(f"{path}/status", {"status": "open"})
        assert await status() == ("open", None)
        await browser.post(f"{path}/status", {"status": "reserved", "reserved_for": bob_id})
        r = await browser.post(f"{path}/status", {"status": "taken"})
        assert r.status_code == 303 and await status() == ("taken", bob_id)
        # Carol hears that it has gone (once); Bob, who got it, does not.
        told = await conversation_store.get_responder(inst.db, listing.id, carol_id)
        assert told is not None and told.gone_note is not None
        got = await conversation_store.get_responder(inst.db, listing.id, bob_id)
        assert got is not None and got.gone_note is None
        page = (await browser.get(path)).text
        assert "it can no longer be changed, only deleted" in page
        r = await browser.post(f"{path}/status", {"status": "open"})
        assert r.status_code == 409  # closed listings stay closed, as in the API
        r = await browser.get(f"{path}/edit")
        assert r.status_code == 409 and "can no longer be edited" in r.text

        r = await browser.post(f"{path}/delete", {})
        assert r.status_code == 303 and r.headers["location"] == "/users/alice"
        assert await listing_store.get(inst.db, listing.id) is None
        assert (await browser.get(path)).status_code == 410


async def test_only_the_author_may_act_and_every_post_needs_its_token(
    net: Network, node: Node
) -> None:
    alice = await member(node, "alice", "Alice")
    bob = await member(node, "bob", "Bob")
    listing = await _bike(node, alice, net)
    path = listing.id.removeprefix(OAK)
    async with signed_in(net, node, bob) as browser:
        assert (await browser.post(f"{path}/status", {"status": "withdrawn"})).status_code == 403
        assert (await browser.post(f"{path}/delete", {})).status_code == 403
        assert (await browser.get(f"{path}/edit")).status_code == 403
    async with signed_in(net, node, alice) as browser:
        r = await browser.client.post(OAK + f"{path}/delete", data={"csrf_token": "forged"})
        assert r.status_code == 403
        r = await browser.post(f"{path}/status", {"status": "sold"})
        assert r.status_code == 400 and "listingStatus: one of open, reserved" in r.text
    assert await listing_store.get(node.instance.db, listing.id) is not None
    async with visitor(net, node, "/login") as browser:
        r = await browser.get(f"{path}/edit", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


async def test_editing_keeps_the_photos_and_changes_what_was_changed(
    net: Network, node: Node
) -> None:
    alice = await member(node, "alice", "Alice")
    listing = await _bike(node, alice, net)
    path = listing.id.removeprefix(OAK)
    async with signed_in(net, node, alice) as browser:
        form = (await browser.get(f"{path}/edit")).text
        assert 'value="Blue one-speed bike"' in form and 'name="photo_1"' in form
        fields = submitted(form)
        assert fields["kind"] == "give" and fields["visibility"] == "public"
        fields |= {"title": "Blue bike, new tyres", "description": "Now with new tyres."}
        r = await browser.post(f"{path}/edit", fields)
        assert r.status_code == 303 and r.headers["location"] == path
    edited = await listing_store.get(node.instance.db, listing.id)
    assert edited is not None
    assert edited.title == "Blue bike, new tyres" and edited.description == "Now with new tyres."
    assert edited.images == listing.images
    assert edited.expires == listing.expires  # an unchanged date keeps its time
    assert edited.updated > listing.updated


# Forms


async def test_the_forms_explain_each_field_and_show_refusals_beside_it(
    net: Network, node: Node
) -> None:
    alice = await member(node, "alice", "Alice")
    async with node.instance.db.transaction() as tx:
        await actor_store.set_default_place(
            tx, alice.id, {"name": "Elm Park", "latitude": 51.52, "longitude": -0.11}
        )
    async with signed_in(net, node, alice) as browser:
        choose = (await browser.get("/listings/new")).text
        for purpose in ("offer", "request", "stay"):
            assert f"/listings/new?purpose={purpose}" in choose
        offer = (await browser.get("/listings/new?purpose=offer")).text
        assert 'value="Elm Park"' in offer and 'value="51.52"' in offer
        for kind in ("give", "lend", "help"):
            assert f'name="kind" value="{kind}"' in offer
        assert 'name="return_by"' in offer and 'name="time_credits"' in offer
        assert 'name="capacity"' not in offer
        for label in re.findall(r'<input[^>]* id="([^"]+)"', offer):
            assert f'for="{label}"' in offer, f"{label} has no label"
        stay = (await browser.get("/listings/new?purpose=stay")).text
        assert 'name="start"' in stay and 'name="party_size"' in stay
        assert 'name="visibility" value="unlisted" checked' in stay

        r = await post_new(
            browser, "stay", {"purpose": "offer", "title": "Spare room", "place_name": "Oakfield"}
        )
        assert r.status_code == 400
        assert error_beside(r.text, "start") == "required for a stay"
        assert 'value="Spare room"' in r.text
        r = await post_new(browser, "offer", {**FIELDS, "place_latitude": "north"})
        assert error_beside(r.text, "place-latitude") == "must be a number"
        r = await post_new(browser, "offer", {**FIELDS, "place_name": "12 High Street"})
        assert "never a street address" in error_beside(r.text, "place-name")
        r = await post_new(browser, "offer", {**FIELDS, "return_by": "2030-01-01"})
        assert error_beside(r.text, "returnBy") == "only lending has a return date"
        r = await post_new(
            browser,
            "request",
            {**FIELDS, "kind": "help", "hours": "2", "time_credits": "2", "title": "Sofa"},
        )
    help_request = await posted(node, r)
    assert (help_request.purpose, help_request.kind) == ("request", "help")
    assert help_request.hours == 2.0 and help_request.time_credits == 2.0


# For other servers


async def test_preview_cards_and_the_fediverse_find_the_listing(net: Network, node: Node) -> None:
    alice = await member(node, "alice", "Alice")
    listing = await _bike(node, alice, net)
    (image,) = listing.images
    async with visitor(net, node, "/login") as browser:
        page = (await browser.get(listing.id.removeprefix(OAK))).text
    assert meta(page, "og:title") == "Free: Blue one-speed bike"
    assert meta(page, "og:description") == "Oakfield · 15 years old, some rust. Rides fine."
    assert meta(page, "og:url") == listing.id
    assert meta(page, "og:type") == "article"
    assert meta(page, "og:image") == image.url
    assert meta(page, "og:image:alt") == "A blue bike against a fence"
    assert f'<link rel="alternate" type="application/activity+json" href="{listing.id}">' in page
    assert (await node.client.get(image.url)).headers["content-type"] == "image/jpeg"


async def test_servers_still_get_the_note_with_its_attachment(net: Network, node: Node) -> None:
    alice = await member(node, "alice", "Alice")
    listing = await _bike(node, alice, net)
    (image,) = listing.images
    r = await node.client.get(listing.id, headers={"Accept": AS})
    assert r.status_code == 200 and r.headers["content-type"] == AS
    assert r.headers["vary"] == "Accept"
    note = r.json()
    assert note["id"] == listing.id and note["type"] == "Note"
    assert note["attachment"] == [
        {
            "type": "Document",
            "mediaType": "image/jpeg",
            "url": image.url,
            "name": "A blue bike against a fence",
            "width": 1600,
            "height": 1200,
            "blurhash": image.blurhash,
        }
    ]
    assert note["@context"][1]["blurhash"] == "toot:blurhash"
    # Any client but a browser gets the document, as before the listing had a page.
    for accept in (LD, "*/*", f"{AS}, text/html;q=0.5"):
        other = await node.client.get(listing.id, headers={"Accept": accept})
        assert other.headers["content-type"] == AS and other.json() == note
    page = await node.client.get(listing.id, headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html")
