"""A member's upload: refused with the form field named, stored with its row, described as
the image a listing carries."""

from __future__ import annotations

import pytest

from fedishare.accounts.members import create_member
from fedishare.core.errors import Invalid, TooLarge
from fedishare.http.errors import status_of
from fedishare.media import uploads
from fedishare.storage import media as store
from tests.harness import Network
from tests.media.photos import NOT_A_PHOTO, noise_png, phone_jpeg


async def test_refusals_name_the_photos_field(net: Network) -> None:
    node = await net.add("oak.test", limits={"max_upload_bytes": 20_000})
    inst = node.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    with pytest.raises(Invalid) as refused:
        await uploads.upload(inst, alice, NOT_A_PHOTO, name="list.txt")
    assert refused.value.reason == (
        "photos: list.txt is not a photo we can read (JPEG, PNG, GIF or WebP)"
    )
    assert status_of(refused.value) == 400
    with pytest.raises(TooLarge) as too_large:
        await uploads.upload(inst, alice, noise_png(100), name="noise.png")
    assert too_large.value.reason == "photos: noise.png is larger than 19 kB"
    assert status_of(too_large.value) == 413
    assert await inst.db.fetch_value("SELECT count(*) FROM media") == 0


async def test_an_upload_is_stored_with_its_row_and_becomes_a_listing_image(
    net: Network,
) -> None:
    node = await net.add("oak.test")
    inst = node.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    media = await uploads.upload(inst, alice, phone_jpeg((800, 600)), name="bike.jpg")
    assert await store.get(inst.db, media.id) == media
    assert (media.owner_id, media.remote_url, media.width, media.height) == (
        alice.id,
        None,
        800,
        600,
    )
    directory = inst.config.instance.media
    files = (directory / media.path, directory / media.thumbnail_path)
    assert media.bytes == sum(f.stat().st_size for f in files)
    assert media.thumbnail_path == media.path.replace(".jpg", ".small.jpg")
    image = uploads.image_of(inst, media, "A bike")
    assert image.url == f"http://oak.test/media/{media.path}"
    assert (image.alt, image.media_type, image.width, image.height, image.blurhash) == (
        "A bike",
        "image/jpeg",
        800,
        600,
        media.blurhash,
    )
    assert uploads.size_text(10_485_760) == "10 MB" and uploads.size_text(300_000) == "292 kB"
