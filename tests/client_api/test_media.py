"""Uploading photos from an app, describing them, and posting them in a status."""

from __future__ import annotations

from io import BytesIO

from PIL import Image

from fedishare.storage import listings, statuses
from fedishare.storage.actors import set_default_place
from tests.client_api.conftest import Api
from tests.client_api.schema import check


def jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def upload(api: Api, path: str = "/api/v2/media", **data: str) -> dict[str, object]:
    r = await api.post(path, files={"file": ("red.jpg", jpeg(), "image/jpeg")}, data=data)
    return dict(check(r, "POST", path))


async def test_upload_describe_and_read_back(api: Api) -> None:
    media = await upload(api, description="A red square")
    assert media["type"] == "image" and media["description"] == "A red square"
    assert media["meta"] == {
        "original": {"width": 64, "height": 48, "size": "64x48", "aspect": 64 / 48}
    }
    path = f"/api/v1/media/{media['id']}"
    r = await api.put(path, json={"description": "Red", "focus": "0.0,0.0"})
    assert check(r, "PUT", "/api/v1/media/{id}")["description"] == "Red"
    assert check(await api.get(path), "GET", "/api/v1/media/{id}")["description"] == "Red"
    v1 = await upload(api, "/api/v1/media")
    assert v1["id"] != media["id"]


async def test_only_photos_are_taken(api: Api) -> None:
    r = await api.post("/api/v2/media", files={"file": ("clip.mp4", b"\0\0\0 ftyp", "video/mp4")})
    assert "only photos" in check(r, "POST", "/api/v2/media")["error"]
    assert r.status_code == 422
    r = await api.post("/api/v2/media", files={"file": ("x.jpg", b"not a jpeg", "image/jpeg")})
    assert r.status_code == 422 and "x.jpg" in r.json()["error"]


async def test_others_media_is_not_found_or_usable(api: Api) -> None:
    media = await upload(api)
    _, token = await api.new_member("mallory")
    other = api.as_(token)
    assert (await other.get(f"/api/v1/media/{media['id']}")).status_code == 404
    r = await other.post("/api/v1/statuses", json={"status": "x", "media_ids": [media["id"]]})
    assert r.status_code == 422


async def test_a_status_carries_its_media_once(api: Api) -> None:
    media = await upload(api, description="Red")
    r = await api.post("/api/v1/statuses", json={"status": "look", "media_ids": [media["id"]]})
    status = check(r, "POST", "/api/v1/statuses")
    assert [m["description"] for m in status["media_attachments"]] == ["Red"]
    r = await api.post("/api/v1/statuses", json={"status": "again", "media_ids": [media["id"]]})
    assert r.status_code == 422 and "another status" in r.json()["error"]
    too_many = [str((await upload(api))["id"]) for _ in range(5)]
    r = await api.post("/api/v1/statuses", json={"status": "many", "media_ids": too_many})
    assert r.status_code == 422


async def test_a_listing_status_takes_its_media_as_photos(api: Api) -> None:
    inst = api.node.instance
    async with inst.db.transaction() as tx:
        await set_default_place(tx, api.member.id, {"name": "Oakfield"})
    media = await upload(api)  # no description: the title stands in
    r = await api.post(
        "/api/v1/statuses", json={"status": "#offer Red box", "media_ids": [media["id"]]}
    )
    status = check(r, "POST", "/api/v1/statuses")
    row = await statuses.get(inst.db, int(status["id"]))
    assert row is not None
    listing = await listings.get(inst.db, row.uri)
    assert listing is not None and [i.alt for i in listing.images] == ["Photo: Red box"]
