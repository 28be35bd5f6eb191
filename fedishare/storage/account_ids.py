"""Account ids for the client API: a number per actor URI (ours and other servers'), given
the first time the actor is shown to an app and never changed, so that apps may keep it."""

from __future__ import annotations

from collections.abc import Sequence

from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import chunks, marks


async def known(db: Database | Transaction, uris: Sequence[str]) -> dict[str, int]:
    """The ids already given to those of `uris` that have one."""
    found: dict[str, int] = {}
    for chunk in chunks(uris):
        rows = await db.fetch_all(
            f"SELECT id, uri FROM account_ids WHERE uri IN ({marks(chunk)})", tuple(chunk)
        )
        found |= {row["uri"]: int(row["id"]) for row in rows}
    return found


async def give(db: Database, uris: Sequence[str]) -> dict[str, int]:
    """The id of each of `uris`, giving new ones (in one transaction) to those without."""
    found = await known(db, uris)
    missing = [u for u in dict.fromkeys(uris) if u not in found]
    if missing:
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT OR IGNORE INTO account_ids (uri) VALUES (?)", ((u,) for u in missing)
            )
            found |= await known(tx, missing)
    return found


async def uri_of(db: Database | Transaction, account_id: int) -> str | None:
    row = await db.fetch_one("SELECT uri FROM account_ids WHERE id = ?", (account_id,))
    return None if row is None else str(row["uri"])


async def uris_of(db: Database | Transaction, ids: Sequence[int]) -> dict[int, str]:
    """The URI of each of `ids` that was given (absent: an id never given)."""
    found: dict[int, str] = {}
    for chunk in chunks(ids):
        rows = await db.fetch_all(
            f"SELECT id, uri FROM account_ids WHERE id IN ({marks(chunk)})", tuple(chunk)
        )
        found |= {int(row["id"]): str(row["uri"]) for row in rows}
    return found
