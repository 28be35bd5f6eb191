"""Counts for NodeInfo and the operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fedishare.storage.database import Database


@dataclass(frozen=True)
class Usage:
    members: int
    active_month: int
    active_halfyear: int
    local_listings: int


async def usage(db: Database, now: datetime) -> Usage:
    members = int(
        await db.fetch_value(
            "SELECT count(*) FROM local_actors WHERE kind = 'person' AND disabled = 0"
        )
    )
    listings = await _local_listing_count(db)
    # Until members have activity to measure, every enabled member counts as active.
    return Usage(members, members, members, listings)


async def _local_listing_count(db: Database) -> int:
    return int(
        await db.fetch_value("SELECT count(*) FROM listings WHERE remote = 0 AND deleted = 0")
    )


async def known_hosts(db: Database) -> list[str]:
    """The hosts of the accounts this instance knows (it has fetched their actors), sorted."""
    rows = await db.fetch_all("SELECT DISTINCT host FROM remote_actors ORDER BY host")
    return [str(row["host"]) for row in rows]
