"""Photos decoded and encoded again: only pixels survive, turned upright, in sRGB, at most
1600 px (400 px for the thumbnail), with a blurhash; what is no photo is refused."""

from __future__ import annotations

from io import BytesIO

import blurhash
import pytest
from PIL import Image, ImageCms

from fedishare.media.processing import LONGEST_SIDE, Unreadable, process_photo
from tests.media.photos import NOT_A_PHOTO, has_gps, phone_jpeg


def opened(data: bytes) -> Image.Image:
    picture = Image.open(BytesIO(data))
    picture.load()
    return picture


def encoded(picture: Image.Image, kind: str, **options: object) -> bytes:
    out = BytesIO()
    picture.save(out, kind, **options)
    return out.getvalue()


def test_only_the_pixels_of_a_phone_photo_survive() -> None:
    original = phone_jpeg((4000, 3000), orientation=6)
    photo = process_photo(original)
    assert (photo.width, photo.height, photo.media_type) == (1200, 1600, "image/jpeg")
    for data in (photo.full, photo.small):
        assert not has_gps(data) and b"PhoneCo" not in data and b"High Street" not in data
        picture = opened(data)
        assert picture.format == "JPEG" and picture.mode == "RGB" and not picture.getexif()
    assert opened(photo.full).size == (1200, 1600)
    assert opened(photo.small).size == (300, 400)
    # The top third was yellow; turned a quarter clockwise, it is now on the right.
    right = opened(photo.full).getpixel((1150, 100))
    assert isinstance(right, tuple) and right[0] > 200 and right[2] < 100


def test_small_photos_are_not_enlarged_and_the_blurhash_reads_back() -> None:
    photo = process_photo(encoded(Image.new("RGB", (300, 200), (200, 20, 20)), "PNG"))
    assert (photo.width, photo.height) == (300, 200)
    assert opened(photo.small).size == (300, 200)
    assert blurhash.components(photo.blurhash) == (4, 4)
    pixel = blurhash.decode(photo.blurhash, 4, 4)[2][2]
    assert pixel[0] > 150 and pixel[1] < 60


def test_transparency_is_laid_on_white_and_colour_profiles_are_applied() -> None:
    clear = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    photo = process_photo(encoded(clear, "PNG"))
    assert opened(photo.full).getpixel((50, 50)) == (255, 255, 255)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    tagged = encoded(Image.new("RGB", (64, 64), (10, 120, 60)), "JPEG", icc_profile=srgb)
    result = opened(process_photo(tagged).full)
    assert "icc_profile" not in result.info


def test_an_animated_gif_keeps_its_first_frame() -> None:
    frames = [Image.new("P", (40, 40), colour) for colour in (1, 2)]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    photo = process_photo(data)
    assert opened(photo.full).size == (40, 40)


@pytest.mark.parametrize(
    "data, reason",
    [
        (NOT_A_PHOTO, "is not a photo we can read"),
        (phone_jpeg((200, 100))[:300], "is not a photo we can read"),  # cut short
        (b"%PDF-1.4\n" + b"0" * 100, "is not a photo we can read"),
        (encoded(Image.new("1", (10_000, 7_000)), "PNG"), "has more than 60 million pixels"),
    ],
)
def test_what_is_no_photo_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        process_photo(data)


def test_the_longest_side_is_at_most_1600() -> None:
    photo = process_photo(phone_jpeg((1000, 5000)))
    assert (photo.width, photo.height) == (320, LONGEST_SIDE)
