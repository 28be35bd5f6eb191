"""Where a page loads a listing's photo from."""

from __future__ import annotations

from fedishare.core.listing import Image


def photo_src(image: Image, *, thumbnail: bool = False) -> str:
    """The URL a page shows for `image` (for now, the image's own URL)."""
    return image.url
