"""Photos we store: members' uploads, and other servers' photos cached here (one row per
remote URL). Files live under `[instance] media`; a row names them relative to it.

A remote row with no file (`path` empty) records a fetch that failed at `created_at`, so
that pages showing that photo do not send us to its server again until the row is old.
"""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.core.json_text import compact_json
from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row

_COLUMNS = (
    "owner_id, remote_url, path, thumbnail_path, media_type, width, height, blurhash, alt,"
    " bytes, created_at"
)


@dataclass(frozen=True)
class Media:
    id: int
    owner_id: int | None  # the member who uploaded it; None for other servers' photos
    remote_url: str | None  # where another server serves it
    path: str  # the full size ('' for a failed fetch)
    thumbnail_path: str
    media_type: str
    width: int
    height: int
    blurhash: str
    alt: str
    bytes: int  # of both files
    created_at: float  # a timestamp: when stored, or when the fetch failed

    @property
    def failed(self) -> bool:
        return not self.path


def _values(media: Media) -> tuple[object, ...]:
    return (
        media.owner_id,
        media.remote_url,
        media.path,
        media.thumbnail_path,
        media.media_type,
        media.width,
        media.height,
        media.blurhash,
        media.alt,
        media.bytes,
        media.created_at,
    )


async def insert(tx: Transaction, media: Media) -> int:
    """Store a new row (its `id` is not used); return the id it got."""
    return await tx.insert(
        f"INSERT INTO media ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _values(media),
    )


async def get(db: Database | Transaction, media_id: int) -> Media | None:
    row = await db.fetch_one("SELECT * FROM media WHERE id = ?", (media_id,))
    return None if row is None else from_row(Media, row)


async def find_remote(db: Database | Transaction, url: str) -> Media | None:
    row = await db.fetch_one("SELECT * FROM media WHERE remote_url = ?", (url,))
    return None if row is None else from_row(Media, row)


async def keep_remote(tx: Transaction, media: Media) -> bool:
    """Store a fetched copy of `media.remote_url`, over a failure if one was recorded;
    False when a copy is stored already (another request fetched it meanwhile)."""
    changed = await tx.execute(
        f"INSERT INTO media ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (remote_url) DO UPDATE SET path = excluded.path,"
        " thumbnail_path = excluded.thumbnail_path, media_type = excluded.media_type,"
        " width = excluded.width, height = excluded.height, blurhash = excluded.blurhash,"
        " bytes = excluded.bytes, created_at = excluded.created_at WHERE media.path = ''",
        _values(media),
    )
    return changed > 0


async def remember_failure(tx: Transaction, url: str, at: float) -> None:
    """Record that fetching `url` failed at `at` (unless a copy is stored)."""
    await tx.execute(
        f"INSERT INTO media ({_COLUMNS}) VALUES (NULL, ?, '', '', '', 0, 0, '', '', 0, ?)"
        " ON CONFLICT (remote_url) DO UPDATE SET created_at = excluded.created_at"
        " WHERE media.path = ''",
        (url, at),
    )


async def shown_by_a_listing(db: Database, url: str) -> bool:
    """Whether a live listing (ours or another server's) shows the photo at `url`.

    The images are inside each row's `extra` JSON, which no index covers: this reads every
    listing, on the reader thread. It is asked once per photo, before its first fetch."""
    found = await db.fetch_value(
        "SELECT 1 FROM listings WHERE deleted = 0 AND instr(extra, ?) > 0 LIMIT 1",
        (compact_json(url),),
    )
    return found is not None
