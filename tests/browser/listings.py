"""Posting and answering listings through the pages, and photos to post."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image
from playwright.async_api import Page, Response

from tests.browser.forms import Value, fill, submit


@dataclass(frozen=True)
class Photo:
    path: Path
    alt: str


def make_photo(path: Path, *, size: tuple[int, int] = (1200, 900)) -> Path:
    """A JPEG of a plain two-colour picture, as a camera might hand it over."""
    picture = Image.new("RGB", size, (70, 130, 180))
    picture.paste((240, 200, 60), (size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1]))
    picture.save(path, "JPEG", quality=85)
    return path


async def post_listing(
    page: Page,
    *,
    purpose: str = "offer",
    kind: str = "Give away",
    title: str,
    description: str = "",
    place: str,
    position: tuple[float, float] | None = None,
    photos: Sequence[Photo] = (),
    more: Mapping[str, Value] | None = None,
) -> Response:
    """Fill the new-listing form for `purpose` (offer, request, stay) and post it. `kind` is
    the label of the kind to choose (none for stays); `more` fills further fields by label."""
    await page.goto(f"/listings/new?purpose={purpose}")
    fields: dict[str, Value] = {"Title": title, "Description": description, "Neighbourhood": place}
    if purpose != "stay":
        fields[kind] = True
    if position is not None:
        fields["Latitude (optional)"] = str(position[0])
        fields["Longitude (optional)"] = str(position[1])
    for number, photo in enumerate(photos, start=1):
        fields[f"Photo {number}"] = photo.path
        fields[f"Description of photo {number}"] = photo.alt
    await fill(page, {**fields, **(more or {})})
    return await submit(page, "Post")


async def answer_privately(page: Page, listing_url: str, message: str) -> Response:
    """Answer a listing from its page, as a member; the page it leads to is the
    conversation."""
    await page.goto(listing_url)
    await fill(page, {"Your message": message})
    return await submit(page, "Answer privately")


def path_of(url: str) -> str:
    """A page's address without the site and fragment, to open it in another tab."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
