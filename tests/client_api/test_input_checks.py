"""Bad input from apps, one row per field and kind of mistake: 422 (4xx for the JSON API's
search) with a reason naming the field, and nothing stored. Uploaded photos are stored as
new JPEGs, never as sent."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from PIL import ExifTags, Image

from fedishare.storage.actors import set_default_place
from tests.client_api.conftest import Api
from tests.media.photos import has_gps, phone_jpeg

TODAY = datetime.now(UTC).date()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def _png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (10, 120, 60)).save(out, "PNG")
    return out.getvalue()


def _bomb(side: int) -> bytes:
    """A PNG of a few dozen bytes claiming side x side pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


async def _stored(api: Api) -> dict[str, Any]:
    db = api.node.instance.db
    media_dir = api.node.instance.config.instance.media
    return {
        "statuses": await db.fetch_value("SELECT count(*) FROM statuses"),
        "listings": await db.fetch_value("SELECT count(*) FROM listings"),
        "media": await db.fetch_value("SELECT count(*) FROM media"),
        "outbox": await db.fetch_value("SELECT count(*) FROM outbox_activities"),
        "files": sorted(p.name for p in media_dir.rglob("*")) if media_dir.exists() else [],
    }


@pytest.fixture
async def placed(api: Api) -> Api:
    """alice, with a default neighbourhood (a listing from a status takes its place)."""
    async with api.node.instance.db.transaction() as tx:
        await set_default_place(tx, api.member.id, {"name": "Oakfield"})
    return api


# (case, JSON body, what the reason says in part: the field first)
STATUS_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("text over the limit", {"status": "x" * 5_001}, "character limit of 5000"),
    ("unknown visibility", {"status": "hi", "visibility": "secret"}, "visibility:"),
    ("a poll", {"status": "hi", "poll": {"options": ["a", "b"], "expires_in": 60}}, "poll"),
    ("scheduled", {"status": "hi", "scheduled_at": day(3)}, "scheduled"),
    ("media ids not ids", {"status": "hi", "media_ids": ["abc"]}, "media_ids:"),
    ("media of nobody", {"status": "hi", "media_ids": ["123456"]}, "media_ids:"),
    ("five media", {"status": "hi", "media_ids": ["1", "2", "3", "4", "5"]}, "media"),
    ("spoiler over the limit", {"status": "hi", "spoiler_text": "s" * 5_001}, "spoiler_text:"),
    ("a made-up language", {"status": "hi", "language": "klingon!"}, "language:"),
    ("listing title over 120", {"status": "#offer " + "x" * 121}, "title:"),
    ("stay reversed", {"status": f"#stay Room {day(9)} to {day(5)} for 2"}, "end:"),
    ("stay impossible", {"status": "#stay Room 2027-02-30 to 2027-03-02 for 2"}, "start:"),
    (
        "stay far ahead",
        {"status": f"#stay Room {day(2_000)} to {day(2_005)} for 2"},
        "5 years ahead",
    ),
    ("stay for 0", {"status": f"#stay Room {day(5)} to {day(9)} for 0"}, "capacity:"),
    ("lend back by the past", {"status": f"#offer #lend Drill back by {day(-2)}"}, "returnBy:"),
]


async def test_every_bad_status_field_is_refused_with_422(placed: Api) -> None:
    before = await _stored(placed)
    for case, body, says in STATUS_CASES:
        r = await placed.post("/api/v1/statuses", json=body)
        assert r.status_code == 422, (case, r.status_code, r.text)
        assert says in r.json()["error"], (case, r.json())
    assert await _stored(placed) == before


async def test_a_body_nested_too_deep_is_refused_not_a_server_error(placed: Api) -> None:
    before = await _stored(placed)
    deep = b'{"status":' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    r = await placed.post(
        "/api/v1/statuses", content=deep, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400, r.text
    assert "not JSON" in r.json()["error"]
    assert await _stored(placed) == before


# (case, JSON body, what the reason says in part)
CREDENTIAL_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("display name over 100", {"display_name": "A" * 101}, "display_name:"),
    ("note over 500", {"note": "n" * 501}, "note:"),
    (
        "five fields",
        {"fields_attributes": [{"name": f"n{i}", "value": "v"} for i in range(5)]},
        "fields_attributes:",
    ),
    (
        "a field's value over 255",
        {"fields_attributes": [{"name": "site", "value": "v" * 256}]},
        "fields_attributes:",
    ),
    ("unknown privacy", {"source": {"privacy": "everyone"}}, "source[privacy]:"),
    ("a made-up language", {"source": {"language": "english"}}, "source[language]:"),
    ("locked as words", {"locked": "perhaps"}, "locked:"),
]


async def test_every_bad_credential_is_refused_with_422(api: Api) -> None:
    path = "/api/v1/accounts/update_credentials"
    before = (await api.get("/api/v1/accounts/verify_credentials")).json()
    for case, body, says in CREDENTIAL_CASES:
        r = await api.patch(path, json=body)
        assert r.status_code == 422, (case, r.status_code, r.text)
        assert says in r.json()["error"], (case, r.json())
    for field in ("avatar", "header"):
        r = await api.patch(path, files={field: ("me.png", SVG, "image/png")})
        assert r.status_code == 422 and r.json()["error"].startswith(f"{field}:"), r.text
    # A good header beside a bad avatar: the whole change is refused, the header too.
    r = await api.patch(
        path,
        data={"display_name": "Changed"},
        files={"header": ("h.png", _png(), "image/png"), "avatar": ("a.png", SVG, "image/png")},
    )
    assert r.status_code == 422 and r.json()["error"].startswith("avatar:"), r.text
    after = (await api.get("/api/v1/accounts/verify_credentials")).json()
    assert after == before
    assert await api.node.instance.db.fetch_value("SELECT count(*) FROM media") == 0


# (case, file name, bytes, content type, what the reason says in part)
UPLOAD_CASES: list[tuple[str, str, bytes, str, str]] = [
    ("text as a photo", "list.jpg", b"bread, milk\n", "image/jpeg", "not a photo"),
    ("an SVG with a script", "logo.svg", SVG, "image/svg+xml", "only photos"),
    ("an SVG sent as PNG", "logo.png", SVG, "image/png", "not a photo"),
    ("html", "page.html", b"<script>alert(1)</script>", "text/html", "only photos"),
    ("an empty file", "empty.jpg", b"", "image/jpeg", "not a photo"),
    ("a decompression bomb", "bomb.png", _bomb(20_000), "image/png", "not a photo"),
    ("81 million pixels", "huge.png", _bomb(9_000), "image/png", "more than 60 million"),
]


async def test_files_that_are_no_photos_are_refused_with_422(api: Api) -> None:
    before = await _stored(api)
    for case, name, data, content_type, says in UPLOAD_CASES:
        r = await api.post("/api/v2/media", files={"file": (name, data, content_type)})
        assert r.status_code == 422, (case, r.status_code, r.text)
        assert says in r.json()["error"], (case, r.json())
    r = await api.post(
        "/api/v2/media",
        files={"file": ("red.png", _png(), "image/png")},
        data={"description": "d" * 1_501},
    )
    assert r.status_code == 422 and r.json()["error"].startswith("description:"), r.text
    r = await api.post("/api/v2/media", data={"description": "no file"})
    assert r.status_code == 422 and r.json()["error"].startswith("file:"), r.text
    assert await _stored(api) == before


async def test_an_upload_is_stored_re_encoded_without_its_metadata(api: Api) -> None:
    """What is served is a new JPEG: no EXIF or GPS, not the bytes sent, whatever the file's
    name and content type said (here a JPEG named .png and sent as image/png)."""
    original = phone_jpeg((800, 600))
    assert has_gps(original)
    r = await api.post("/api/v2/media", files={"file": ("photo.png", original, "image/png")})
    assert r.status_code == 200, r.text
    served = await api.node.client.get(r.json()["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    data = served.content
    assert data != original and b"PhoneCo" not in data and b"High Street" not in data
    assert not has_gps(data)
    with Image.open(BytesIO(data)) as stored:
        assert stored.format == "JPEG" and stored.size == (800, 600)
        assert ExifTags.Base.Make not in stored.getexif()


# (case, query, what the reason says in part)
SEARCH_CASES: list[tuple[str, dict[str, str], str]] = [
    ("unknown kind", {"kind": "sell"}, "kind:"),
    ("unknown purpose", {"purpose": "swap"}, "purpose:"),
    ("latitude 91", {"lat": "91", "lon": "0"}, "lat:"),
    ("longitude 181", {"lat": "0", "lon": "181"}, "lon:"),
    ("latitude NaN", {"lat": "NaN", "lon": "0"}, "lat:"),
    ("radius without a centre", {"radius": "5"}, "radius:"),
    ("impossible date", {"from": "2026-02-30", "to": "2026-03-02"}, "from:"),
    ("reversed dates", {"from": day(9), "to": day(5)}, "to:"),
    ("dates at year 9999", {"from": "9999-12-31T00:00-05:00", "to": "9999-12-31T01:00"}, "to:"),
    ("unknown parameter", {"colour": "blue"}, "colour:"),
    ("limit as words", {"limit": "many"}, "limit:"),
]


async def test_every_bad_search_parameter_is_refused_naming_it(api: Api) -> None:
    for case, query, says in SEARCH_CASES:
        r = await api.get("/api/listings", params=query)
        assert 400 <= r.status_code < 500, (case, r.status_code, r.text)
        assert r.json()["error"].startswith(says), (case, r.json())
