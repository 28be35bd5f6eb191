"""Members' uploads as a status's media: which status (object URI) an upload went into, and
its description (alt text), which the member may change until then and after."""

from __future__ import annotations

from collections.abc import Sequence

from fedishare.storage.database import Database, Transaction


async def attached_to(db: Database | Transaction, media_id: int) -> str | None:
    """The status an upload is part of, if any."""
    row = await db.fetch_one("SELECT attached_to FROM media WHERE id = ?", (media_id,))
    return None if row is None or row["attached_to"] is None else str(row["attached_to"])


async def attach(tx: Transaction, media_ids: Sequence[int], status_uri: str) -> None:
    await tx.executemany(
        "UPDATE media SET attached_to = ? WHERE id = ?", [(status_uri, i) for i in media_ids]
    )


async def set_alt(tx: Transaction, media_id: int, alt: str) -> bool:
    changed = await tx.execute("UPDATE media SET alt = ? WHERE id = ?", (alt, media_id))
    return changed > 0
