"""What status entities show, read for a page of statuses at once: their documents (notes
in `objects`, listings in `listing_documents`), reaction and reply counts, the statuses they
reply to, the photos they attach, and what one member did to them. One query per kind of
fact (per 500 statuses), never one per status."""

from __future__ import annotations

import json
from collections.abc import Sequence

from fedishare.core.types import JSON
from fedishare.storage.database import Database
from fedishare.storage.media import Media
from fedishare.storage.rows import chunks, from_row, marks


async def _documents(db: Database, select: str, ids: Sequence[str]) -> dict[str, JSON]:
    """{id: document} from `select` (id and document columns, ending `WHERE <id> IN`)."""
    found: dict[str, JSON] = {}
    for chunk in chunks(ids):
        rows = await db.fetch_all(f"{select} ({marks(chunk)})", tuple(chunk))
        found |= {row["id"]: json.loads(row["document"]) for row in rows}
    return found


async def object_documents(db: Database, ids: Sequence[str]) -> dict[str, JSON]:
    return await _documents(db, "SELECT id, document FROM objects WHERE id IN", ids)


async def listing_documents(db: Database, ids: Sequence[str]) -> dict[str, JSON]:
    return await _documents(
        db,
        "SELECT l.id, d.document FROM listings l JOIN listing_documents d USING (num)"
        " WHERE l.id IN",
        ids,
    )


async def reaction_counts(db: Database, object_ids: Sequence[str]) -> dict[tuple[str, str], int]:
    """{(object id, 'Like' | 'Announce'): count} (absent: none)."""
    found: dict[tuple[str, str], int] = {}
    for chunk in chunks(object_ids):
        rows = await db.fetch_all(
            "SELECT object_id, type, count(*) AS n FROM reactions"
            f" WHERE object_id IN ({marks(chunk)}) GROUP BY object_id, type",
            tuple(chunk),
        )
        found |= {(row["object_id"], row["type"]): int(row["n"]) for row in rows}
    return found


async def reactions_of(db: Database, actor: str, object_ids: Sequence[str]) -> set[tuple[str, str]]:
    """{(object id, type)} of the reactions of `actor` to those objects."""
    found: set[tuple[str, str]] = set()
    for chunk in chunks(object_ids):
        rows = await db.fetch_all(
            "SELECT object_id, type FROM reactions"
            f" WHERE actor = ? AND object_id IN ({marks(chunk)})",
            (actor, *chunk),
        )
        found |= {(row["object_id"], row["type"]) for row in rows}
    return found


async def reply_counts(db: Database, object_ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(object_ids):
        rows = await db.fetch_all(
            "SELECT in_reply_to, count(*) AS n FROM objects"
            f" WHERE in_reply_to IN ({marks(chunk)}) AND deleted = 0 GROUP BY in_reply_to",
            tuple(chunk),
        )
        found |= {row["in_reply_to"]: int(row["n"]) for row in rows}
    return found


async def media_rows(db: Database, paths: Sequence[str], remote_urls: Sequence[str]) -> list[Media]:
    """The rows of our files at `paths` and of our copies of `remote_urls`."""
    found: list[Media] = []
    for column, values in (("path", paths), ("remote_url", remote_urls)):
        for chunk in chunks(values):
            rows = await db.fetch_all(
                f"SELECT * FROM media WHERE {column} IN ({marks(chunk)})", tuple(chunk)
            )
            found += [from_row(Media, row) for row in rows]
    return found
