"""Bad input in the web forms, one row per field and kind of mistake: the form comes back
(400) with the refusal beside the field it names, what was typed kept, and nothing stored:
no listing, no photo, no profile change."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from PIL import Image

from fedishare.accounts.members import create_member
from fedishare.storage import actors
from fedishare.storage.actors import LocalActor
from tests.harness import Network, Node
from tests.web.account_support import error_beside as account_error
from tests.web.signed_in import signed_in
from tests.web.test_listing_pages import FIELDS, error_beside, post_new

TODAY = datetime.now(UTC).date()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


STAY = {
    "purpose": "offer",
    "title": "Spare room",
    "place_name": "Oakfield",
    "start": day(10),
    "end": day(12),
    "capacity": "2",
}
LEND = {**FIELDS, "kind": "lend", "return_by": day(20)}
HELP = {**FIELDS, "kind": "help", "title": "Help with a move"}


def _png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (10, 120, 60)).save(out, "PNG")
    return out.getvalue()


def _gif_with_script() -> bytes:
    """A GIF whose comment extension carries a script, as a polyglot would."""
    out = BytesIO()
    Image.new("P", (8, 8), 1).save(out, "GIF", comment=b"<script>alert(1)</script>")
    return out.getvalue()


def _bomb(side: int = 20_000) -> bytes:
    """A PNG of a few dozen bytes that claims side x side pixels (400 million: a
    decompression bomb, which Pillow's MAX_IMAGE_PIXELS and ours refuse before decoding)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML_FILE = b"<html><body><script>alert(1)</script></body></html>"

# (case, page purpose, fields, where the error is shown, what it says in part)
LISTING_CASES: list[tuple[str, str, dict[str, str], str, str]] = [
    ("title over 120", "offer", {**FIELDS, "title": "x" * 121}, "title", "longer than 120"),
    ("title blank", "offer", {**FIELDS, "title": "   "}, "title", "required"),
    (
        "description over the limit",
        "offer",
        {**FIELDS, "description": "x" * 5_001},
        "description",
        "longer than 5000",
    ),
    ("unknown kind", "offer", {**FIELDS, "kind": "sell"}, "kind", "unknown kind"),
    (
        "unknown visibility",
        "offer",
        {**FIELDS, "visibility": "secret"},
        "visibility",
        "unknown visibility",
    ),
    ("unknown purpose", "stay", {**STAY, "purpose": "swap"}, "purpose", "unknown purpose"),
    ("latitude 91", "offer", {**FIELDS, "place_latitude": "91"}, "place-latitude", "-90 to 90"),
    (
        "longitude 181",
        "offer",
        {**FIELDS, "place_longitude": "181"},
        "place-longitude",
        "-180 to 180",
    ),
    (
        "latitude NaN",
        "offer",
        {**FIELDS, "place_latitude": "NaN"},
        "place-latitude",
        "must be a number",
    ),
    (
        "longitude infinite",
        "offer",
        {**FIELDS, "place_longitude": "inf"},
        "place-longitude",
        "-180 to 180",
    ),
    (
        "latitude as words",
        "offer",
        {**FIELDS, "place_latitude": "north"},
        "place-latitude",
        "must be a number",
    ),
    (
        "one coordinate",
        "offer",
        {**FIELDS, "place_longitude": ""},
        "place-longitude",
        "required with the other",
    ),
    ("radius 51 km", "offer", {**FIELDS, "place_radius": "51"}, "place-radius", "at most 50"),
    (
        "a street address",
        "offer",
        {**FIELDS, "place_name": "12 High Street"},
        "place-name",
        "never a street address",
    ),
    ("place name over 80", "offer", {**FIELDS, "place_name": "O" * 81}, "place-name", "80"),
    ("impossible date", "offer", {**FIELDS, "expires": "2026-02-30"}, "expires", "a date"),
    ("expiry in the past", "offer", {**FIELDS, "expires": day(-1)}, "expires", "in the past"),
    ("expiry past 90 days", "offer", {**FIELDS, "expires": day(120)}, "expires", "at most"),
    ("expiry year 9999", "offer", {**FIELDS, "expires": "9999-12-31"}, "expires", "at most"),
    ("stay reversed", "stay", {**STAY, "start": day(12), "end": day(10)}, "end", "before"),
    ("stay impossible start", "stay", {**STAY, "start": "2027-02-29"}, "start", "a date"),
    (
        "stay far ahead",
        "stay",
        {**STAY, "start": day(2_000), "end": day(2_005)},
        "start",
        "more than 5 years ahead",
    ),
    ("stay ending year 9999", "stay", {**STAY, "end": "9999-12-31"}, "end", "5 years ahead"),
    ("stay over", "stay", {**STAY, "start": day(-5), "end": day(-2)}, "end", "in the past"),
    ("no guests", "stay", {**STAY, "capacity": "0"}, "capacity", "from 1 to 50"),
    ("guests as words", "stay", {**STAY, "capacity": "two"}, "capacity", "whole number"),
    ("return date gone", "offer", {**LEND, "return_by": day(-3)}, "returnBy", "in the past"),
    ("return far ahead", "offer", {**LEND, "return_by": day(2_000)}, "returnBy", "5 years ahead"),
    ("negative hours", "offer", {**HELP, "hours": "-1"}, "hours", "above 0"),
    ("hours as words", "offer", {**HELP, "hours": "lots"}, "hours", "must be a number"),
]


async def _stored(node: Node) -> dict[str, Any]:
    db = node.instance.db
    media_dir = node.instance.config.instance.media
    return {
        "listings": await db.fetch_value("SELECT count(*) FROM listings"),
        "media": await db.fetch_value("SELECT count(*) FROM media"),
        "outbox": await db.fetch_value("SELECT count(*) FROM outbox_activities"),
        "files": sorted(p.name for p in media_dir.rglob("*")) if media_dir.exists() else [],
    }


@pytest.fixture
async def alice(node: Node) -> LocalActor:
    return await create_member(node.instance.db, node.instance.clock, "alice")


async def test_every_bad_listing_field_is_refused_beside_it(
    net: Network, node: Node, alice: LocalActor
) -> None:
    before = await _stored(node)
    async with signed_in(net, node, alice) as browser:
        for case, purpose, fields, where, says in LISTING_CASES:
            r = await post_new(browser, purpose, fields)
            assert r.status_code == 400, (case, r.status_code)
            assert says in error_beside(r.text, where), (case, error_beside(r.text, where))
            assert "text/html" in r.headers["content-type"]
    assert await _stored(node) == before


# (case, file name, bytes, content type, what the refusal says in part)
FILE_CASES: list[tuple[str, str, bytes, str, str]] = [
    ("text as a photo", "list.jpg", b"bread, milk\n", "image/jpeg", "not a photo"),
    ("html named .png", "page.png", HTML_FILE, "image/png", "not a photo"),
    ("an SVG with a script", "logo.svg", SVG, "image/svg+xml", "not a photo"),
    ("an empty file", "empty.jpg", b"", "image/jpeg", "not a photo"),
    ("a truncated PNG", "cut.png", _png()[:60], "image/png", "not a photo"),
    ("a decompression bomb", "bomb.png", _bomb(), "image/png", "not a photo"),
    ("81 million pixels", "huge.png", _bomb(9_000), "image/png", "more than 60 million"),
]


async def test_files_that_are_no_photos_are_refused_and_nothing_is_kept(
    net: Network, node: Node, alice: LocalActor
) -> None:
    before = await _stored(node)
    async with signed_in(net, node, alice) as browser:
        for case, name, data, content_type, says in FILE_CASES:
            files = {"file_1": (name, data, content_type)}
            r = await post_new(browser, "offer", {**FIELDS, "alt_1": "a photo"}, files)
            assert r.status_code == 400, (case, r.status_code)
            shown = error_beside(r.text, "photos")
            assert shown.startswith(name) and says in shown, (case, shown)
    assert await _stored(node) == before


async def test_a_photo_with_a_lying_name_or_script_is_stored_as_a_new_jpeg(
    net: Network, node: Node, alice: LocalActor
) -> None:
    """A PNG named .gif and sent as image/gif, and a GIF carrying a script in a comment, are
    photos: taken, but only their pixels, as new JPEGs (no script, no original bytes)."""
    for name, data, content_type in (
        ("holiday.gif", _png(), "image/gif"),
        ("anim.gif", _gif_with_script(), "image/gif"),
    ):
        async with signed_in(net, node, alice) as browser:
            files = {"file_1": (name, data, content_type)}
            r = await post_new(browser, "offer", {**FIELDS, "alt_1": "a photo"}, files)
        assert r.status_code == 303, r.text
    media_dir = node.instance.config.instance.media
    stored = [p.read_bytes() for p in media_dir.rglob("*.jpg")]
    assert len(stored) == 4  # each photo and its thumbnail
    for data in stored:
        assert data.startswith(b"\xff\xd8\xff")  # JPEG
        assert b"<script>" not in data and data not in (_png(), _gif_with_script())
        with Image.open(BytesIO(data)) as picture:
            assert picture.format == "JPEG" and not picture.getexif()


PROFILE = {"display_name": "Alice", "bio": "Keen gardener.", "place_name": "Oakfield"}
# (case, fields, where the error is shown, what it says in part)
PROFILE_CASES: list[tuple[str, dict[str, str], str, str]] = [
    ("display name over 100", {"display_name": "A" * 101}, "display_name", "at most 100"),
    ("bio over 500", {"bio": "b" * 501}, "bio", "at most 500"),
    ("place name over 80", {"place_name": "O" * 81}, "place_name", "at most 80"),
    ("latitude 91", {"latitude": "91", "longitude": "0"}, "latitude", "-90 to 90"),
    ("longitude 181", {"latitude": "0", "longitude": "181"}, "longitude", "-180 to 180"),
    ("latitude NaN", {"latitude": "NaN", "longitude": "0"}, "latitude", "-90 to 90"),
]


async def test_every_bad_profile_field_is_refused_beside_it(
    net: Network, node: Node, alice: LocalActor
) -> None:
    async with signed_in(net, node, alice) as browser:
        for case, fields, where, says in PROFILE_CASES:
            r = await browser.post("/settings/profile", {**PROFILE, **fields})
            assert r.status_code == 400, (case, r.status_code)
            assert says in (account_error(r.text, where) or ""), case
        r = await browser.post(
            "/settings/profile", PROFILE, files={"avatar": ("me.png", SVG, "image/png")}
        )
        assert r.status_code == 400 and "not a photo" in (account_error(r.text, "avatar") or "")
    unchanged = await actors.find_by_username(node.instance.db, "alice")
    assert unchanged is not None and unchanged.display_name == alice.display_name
    assert unchanged.summary == alice.summary and unchanged.avatar_media_id is None
