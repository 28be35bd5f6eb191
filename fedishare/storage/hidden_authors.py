"""The remote authors that searches, the board and public timelines leave out: those under a
suspended or silenced domain and the remote accounts admins blocked (`severity` 'suspend' or
'silence'), kept as rows so that a query tests each listing or status by one lookup.

Which host is within which domain is decided in Python (`fedishare.core.domain_policy`) when
a block changes (`replace`); authors first seen after that are added by `add`, from the
listings and statuses newer than the marks in `hidden_authors_seen`. Matching every row's
host to the domains inside the query instead was measured at ~10 µs a row (a recursive
suffix walk per row), 100 ms and more for a search of a few thousand matches.
"""

from __future__ import annotations

from collections.abc import Mapping

from fedishare.storage.database import Database, Transaction

# A remote listing (`l`) is shown unless its author is hidden; a silenced author's still
# show to a viewer who follows them (the parameters: the viewer's actor id twice, '' for
# none). `NOT IN (SELECT author ...)` over the whole table probes its primary key row by
# row; a WHERE inside would build a temporary index of it for every query instead (~5 ms
# with 2,000 hidden authors), so the exception for followers is asked only of hidden rows.
LISTING_SHOWN = (
    "(l.remote = 0 OR l.author NOT IN (SELECT author FROM hidden_authors)"
    " OR (? != '' AND EXISTS (SELECT 1 FROM follows f WHERE f.follower = ?"
    " AND f.followee = l.author AND f.state = 'accepted')"
    " AND NOT EXISTS (SELECT 1 FROM hidden_authors h WHERE h.author = l.author"
    " AND h.severity = 'suspend')))"
)
# A remote status (`s`) in a public or tag timeline: hidden whatever the viewer follows
# (followers see a silenced author in their home timeline).
STATUS_SHOWN = (
    "(s.local_actor_id IS NOT NULL OR s.author NOT IN (SELECT author FROM hidden_authors))"
)

Marks = dict[str, int]  # 'listings' -> listings.num, 'statuses' -> statuses.id


async def marks(db: Database | Transaction) -> Marks:
    """The newest listing and status whose authors were looked at."""
    rows = await db.fetch_all("SELECT source, last FROM hidden_authors_seen")
    return {"listings": 0, "statuses": 0} | {r[0]: int(r[1]) for r in rows}


async def authors_after(db: Database | Transaction, after: Marks) -> tuple[set[str], Marks]:
    """The remote authors of the listings and statuses after `after`, and the new marks."""
    top = await db.fetch_one(
        "SELECT (SELECT coalesce(max(num), 0) FROM listings),"
        " (SELECT coalesce(max(id), 0) FROM statuses)"
    )
    assert top is not None
    seen = {
        "listings": max(after["listings"], int(top[0])),
        "statuses": max(after["statuses"], int(top[1])),
    }
    listing_rows = await db.fetch_all(
        "SELECT DISTINCT author FROM listings WHERE num > ? AND num <= ? AND remote = 1",
        (after["listings"], seen["listings"]),
    )
    status_rows = await db.fetch_all(
        "SELECT DISTINCT author FROM statuses WHERE id > ? AND id <= ? AND local_actor_id IS NULL",
        (after["statuses"], seen["statuses"]),
    )
    return {r[0] for r in listing_rows} | {r[0] for r in status_rows}, seen


async def known_actors(db: Database | Transaction) -> set[str]:
    """Remote actors we hold a document of (they may have nothing listed yet)."""
    return {r[0] for r in await db.fetch_all("SELECT id FROM remote_actors")}


async def replace(tx: Transaction, hidden: Mapping[str, str], seen: Marks) -> None:
    """Hide exactly `hidden` (author -> severity), having looked at everything to `seen`."""
    await tx.execute("DELETE FROM hidden_authors")
    await add(tx, hidden, seen)


async def add(tx: Transaction, hidden: Mapping[str, str], seen: Marks) -> None:
    """Hide `hidden` too (author -> severity), having looked at everything to `seen`."""
    await tx.executemany(
        "INSERT INTO hidden_authors (author, severity) VALUES (?, ?)"
        " ON CONFLICT (author) DO UPDATE SET severity = excluded.severity",
        list(hidden.items()),
    )
    await tx.executemany(
        "INSERT INTO hidden_authors_seen (source, last) VALUES (?, ?)"
        " ON CONFLICT (source) DO UPDATE SET last = excluded.last",
        list(seen.items()),
    )


async def all_hidden(db: Database | Transaction) -> dict[str, str]:
    rows = await db.fetch_all("SELECT author, severity FROM hidden_authors")
    return {r[0]: r[1] for r in rows}
