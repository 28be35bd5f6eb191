"""A photo as we serve it: decoded with Pillow and encoded again as a new JPEG, so that
nothing of the file as sent survives but its pixels (no EXIF, GPS, XMP, comments or
colour profile; no payload hidden behind the image data).

The orientation a phone records in EXIF is applied first, and colours are converted to
sRGB, since both go with the metadata. Transparency is laid on white. The full size has a
longest side of 1600 px, the thumbnail 400 px; the blurhash is taken from a tiny copy.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO

import blurhash as blurhash_codec  # type: ignore[import-untyped]
from PIL import Image, ImageCms, ImageOps

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
LONGEST_SIDE = 1600
THUMBNAIL_SIDE = 400
MAX_PIXELS = 60_000_000  # beyond the largest phone cameras; refuses decompression bombs
MEDIA_TYPE = "image/jpeg"
QUALITY = 85
BLURHASH_COMPONENTS = (4, 4)  # as Mastodon computes them
_BLURHASH_SOURCE = 32  # pixels along the longest side of the copy the blurhash is taken from
_WHITE = (255, 255, 255)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class Unreadable(Exception):
    """The bytes are not a photo we take (not an image, a format we do not read, broken,
    or too many pixels); the message says which, to follow the file's name."""


@dataclass(frozen=True)
class Photo:
    full: bytes  # JPEG, longest side at most LONGEST_SIDE
    small: bytes  # JPEG, longest side at most THUMBNAIL_SIDE
    width: int  # of `full`
    height: int
    blurhash: str
    media_type: str = MEDIA_TYPE


def process_photo(data: bytes) -> Photo:
    """The photo in `data`, cleaned and resized; raise Unreadable if it is none we take.
    CPU-bound (tens of milliseconds for a phone photo): run it in a thread."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own pixel limit; we refuse.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=FORMATS) as source:
                if source.width * source.height > MAX_PIXELS:
                    raise Unreadable(f"has more than {MAX_PIXELS // 1_000_000} million pixels")
                # JPEG only: decode straight at a smaller scale that still covers the target.
                source.draft("RGB", _fit(source.size, LONGEST_SIDE))
                picture = _upright_srgb(source)
    except Unreadable:
        raise
    except Exception as exc:  # a malformed file can make a decoder raise almost anything
        raise Unreadable("is not a photo we can read (JPEG, PNG, GIF or WebP)") from exc
    picture.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    small = picture.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return Photo(
        full=_jpeg(picture),
        small=_jpeg(small),
        width=picture.width,
        height=picture.height,
        blurhash=_blurhash(small),
    )


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, longest / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _upright_srgb(source: Image.Image) -> Image.Image:
    """The pixels the way they are meant to be seen: turned as the EXIF orientation says,
    in sRGB, without an alpha channel. Loads the image."""
    profile = source.info.get("icc_profile")
    picture = ImageOps.exif_transpose(source)  # a copy: the source's metadata stays behind
    if profile and picture.mode in ("RGB", "CMYK"):
        try:
            converted = ImageCms.profileToProfile(
                picture, ImageCms.ImageCmsProfile(BytesIO(profile)), _SRGB, outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # a broken profile: the pixels as they are
        if converted is not None:
            picture = converted
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _WHITE)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return picture.convert("RGB")


def _jpeg(picture: Image.Image) -> bytes:
    picture.info = {}  # nothing of the original rides along (Pillow reuses a comment)
    out = BytesIO()
    picture.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def _blurhash(picture: Image.Image) -> str:
    tiny = picture.copy()
    tiny.thumbnail((_BLURHASH_SOURCE, _BLURHASH_SOURCE), Image.Resampling.BILINEAR)
    raw, width = tiny.tobytes(), tiny.width  # RGB, row by row
    rows = [
        [list(raw[i : i + 3]) for i in range(row * width * 3, (row + 1) * width * 3, 3)]
        for row in range(tiny.height)
    ]
    x, y = BLURHASH_COMPONENTS
    return str(blurhash_codec.encode(rows, components_x=x, components_y=y))
