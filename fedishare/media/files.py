"""Where photo files live: under `[instance] media`, each pair (full size and thumbnail)
named by a random token, in a folder per first two characters so that no folder grows
huge. Names are unguessable, so that a followers-only listing's photos are not found by
counting, and never taken from what a sender wrote.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from fedishare.media.processing import Photo
from fedishare.storage.media import Media

# "ab/abXYZ....jpg" and "ab/abXYZ....small.jpg": the stored form of a name, and its URL path
# below /media/.
NAME = re.compile(r"(?P<shard>[A-Za-z0-9_-]{2})/(?P=shard)[A-Za-z0-9_-]{20}(\.small)?\.jpg")
_SUFFIX = {False: ".jpg", True: ".small.jpg"}


@dataclass(frozen=True)
class Written:
    path: str  # the full size, relative to the media directory
    thumbnail_path: str
    size: int  # bytes of both


def thumbnail_name(name: str) -> str:
    """The thumbnail's name beside a full-size name."""
    return name.removesuffix(_SUFFIX[False]) + _SUFFIX[True]


def is_name(name: str) -> bool:
    return NAME.fullmatch(name) is not None


def location(directory: Path, name: str) -> Path | None:
    """Where the file of a stored name is, or None for anything that is not such a name
    (so that no request can reach outside the directory)."""
    return directory / name if is_name(name) else None


async def write(directory: Path, photo: Photo) -> Written:
    """Write both sizes of a photo under new names; each file appears whole or not at all."""
    token = secrets.token_urlsafe(16)  # 22 characters
    base = f"{token[:2]}/{token}"
    full, small = base + _SUFFIX[False], base + _SUFFIX[True]
    await asyncio.to_thread(_write_pair, directory, ((full, photo.full), (small, photo.small)))
    return Written(full, small, len(photo.full) + len(photo.small))


async def remove(directory: Path, *names: str) -> None:
    await asyncio.to_thread(_remove, directory, names)


def _write_pair(directory: Path, files: tuple[tuple[str, bytes], ...]) -> None:
    for name, data in files:
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, target)


def _remove(directory: Path, names: tuple[str, ...]) -> None:
    for name in names:
        found = location(directory, name)
        if found is not None:
            found.unlink(missing_ok=True)


def media_row(
    written: Written, photo: Photo, *, owner_id: int | None, remote_url: str | None, now: float
) -> Media:
    """The `media` row for a photo just written (its id is given when it is inserted)."""
    return Media(
        id=0,
        owner_id=owner_id,
        remote_url=remote_url,
        path=written.path,
        thumbnail_path=written.thumbnail_path,
        media_type=photo.media_type,
        width=photo.width,
        height=photo.height,
        blurhash=photo.blurhash,
        alt="",
        bytes=written.size,
        created_at=now,
    )
