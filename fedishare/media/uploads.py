"""Members' photos: refused with the form field named (`photos: ...`) when they are too
large or no photo at all, otherwise cleaned (`fedishare.media.processing`), stored, and
described as the `Image` a listing carries."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from fedishare.context import Instance
from fedishare.core.errors import Invalid, TooLarge
from fedishare.core.listing import Image
from fedishare.media import files
from fedishare.media.processing import Unreadable, process_photo
from fedishare.storage import media as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.media import Media

FIELD = "photos"


def size_text(limit: int) -> str:
    """A byte limit as people read it: "10 MB", "300 kB"."""
    if limit >= 1_000_000:
        return f"{limit / 1_048_576:.3g} MB"
    return f"{max(1, limit // 1024)} kB"


def check_size(inst: Instance, name: str, size: int) -> None:
    limit = inst.config.limits.max_upload_bytes
    if size > limit:
        raise TooLarge(f"{FIELD}: {name} is larger than {size_text(limit)}")


async def upload(inst: Instance, owner: LocalActor, data: bytes, *, name: str) -> Media:
    """Store a member's photo (`name`: the file's name, for the refusals)."""
    check_size(inst, name, len(data))
    try:
        photo = await asyncio.to_thread(process_photo, data)
    except Unreadable as exc:
        raise Invalid(f"{FIELD}: {name} {exc}") from None
    written = await files.write(inst.config.instance.media, photo)
    media = files.media_row(
        written, photo, owner_id=owner.id, remote_url=None, now=inst.clock().timestamp()
    )
    async with inst.db.transaction() as tx:
        media_id = await store.insert(tx, media)
    return replace(media, id=media_id)


def media_url(inst: Instance, name: str) -> str:
    """Where we serve a stored file."""
    return f"{inst.urls.base}/media/{name}"


def image_of(inst: Instance, media: Media, alt: str) -> Image:
    """A stored photo as a listing's image (alt text from the member)."""
    return Image(
        media_url(inst, media.path),
        alt,
        media.media_type,
        width=media.width,
        height=media.height,
        blurhash=media.blurhash,
    )
