"""Listings, ours and other servers', stored for serving, lifecycle and search.

A listing is a row of `listings` (what searches filter on) and its document, the object as
served or received, in `listing_documents` (kept apart so that searches walk small rows).
Writes keep the full-text index (`listings_fts`, external content over `listings`) in step
inside the caller's transaction: every change of title, description or place removes the
old entry and adds the new one; so is the status index (`fedishare.storage.statuses`). All
writers of the table live here.
Searching is in `fedishare.storage.listing_search`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from fedishare.core.activitystreams import iso
from fedishare.core.json_text import compact_json
from fedishare.core.listing import (
    Image,
    Kind,
    Listing,
    Place,
    Purpose,
    Reciprocal,
    Status,
    Visibility,
)
from fedishare.core.types import JSON
from fedishare.storage import statuses
from fedishare.storage.database import POSTGRESQL, SQLITE, Database, Row, Transaction
from fedishare.storage.rows import marks

# Every column but `num` and `deleted`, in insert order.
COLUMNS = (
    "id", "remote", "author", "purpose", "kind", "status", "visibility", "title",
    "description", "place_name", "lat", "lon", "radius_km", "start_at", "end_at",
    "expires_at", "return_by", "hours", "capacity", "party_size", "flexible", "house_rules",
    "reserved_for", "audience", "extra", "published", "updated",
)  # fmt: skip
SELECT_COLUMNS = ", ".join(f"l.{c}" for c in COLUMNS)
_INSERT = f"INSERT INTO listings ({', '.join(COLUMNS)}) VALUES ({marks(COLUMNS)})"
# `deleted`: LIVE; DELETED by its author (for good: ids are never reused); or WITHDRAWN here,
# another server's listing we stopped keeping while its author may still have it.
LIVE, DELETED, WITHDRAWN = 0, 1, 2
_UPDATE = f"UPDATE listings SET {', '.join(f'{c} = ?' for c in COLUMNS[1:])} WHERE num = ?"
_DOCUMENT = (
    "INSERT INTO listing_documents (num, document) VALUES (?, ?)"
    " ON CONFLICT (num) DO UPDATE SET document = excluded.document"
)
_INDEX_ADD = "INSERT INTO listings_fts (rowid, title, description, place_name) VALUES (?, ?, ?, ?)"
# External-content FTS5 removes an entry given the values it was indexed with.
_INDEX_REMOVE = {
    SQLITE: "INSERT INTO listings_fts (listings_fts, rowid, title, description, place_name)"
    " SELECT 'delete', num, title, description, place_name FROM listings WHERE num = ?",
    # A plain table on PostgreSQL (fedishare.storage.postgres_schema).
    POSTGRESQL: "DELETE FROM listings_fts WHERE rowid = ?",
}
# The time a second after `updated` (ISO 8601 UTC text), in each dialect.
_SECOND_LATER = {
    SQLITE: "strftime('%Y-%m-%dT%H:%M:%SZ', updated, '+1 second')",
    POSTGRESQL: "to_char(CAST(updated AS timestamp) + interval '1 second',"
    ' \'YYYY-MM-DD"T"HH24:MI:SS"Z"\')',
}


def _time(dt: datetime | None) -> str | None:
    return None if dt is None else iso(dt)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _maybe_when(text: str | None) -> datetime | None:
    return None if text is None else _when(text)


def row_values(listing: Listing) -> tuple[Any, ...]:
    """The listing as the values of COLUMNS."""
    place = listing.place
    extra: JSON = {}
    if listing.images:
        extra["images"] = [
            [i.url, i.alt, i.media_type, i.width, i.height, i.blurhash] for i in listing.images
        ]
    if listing.reciprocal is not None:
        r = listing.reciprocal
        extra["reciprocal"] = [r.unit, r.amount, r.resource]
    return (
        listing.id,
        int(listing.origin == "remote"),
        listing.author,
        listing.purpose,
        listing.kind,
        listing.status,
        listing.visibility,
        listing.title,
        listing.description,
        place.name,
        place.latitude,
        place.longitude,
        place.radius_km,
        _time(listing.start),
        iso(listing.end),
        iso(listing.expires),
        _time(listing.return_by),
        listing.hours,
        listing.capacity,
        listing.party_size,
        int(listing.flexible),
        listing.house_rules,
        listing.reserved_for,
        listing.audience,
        compact_json(extra),
        iso(listing.published),
        iso(listing.updated),
    )


def from_row(row: Row) -> Listing:
    extra = json.loads(row["extra"])
    reciprocal = extra.get("reciprocal")
    return Listing(
        id=row["id"],
        author=row["author"],
        origin="remote" if row["remote"] else "local",
        purpose=cast(Purpose, row["purpose"]),
        kind=cast(Kind, row["kind"]),
        status=cast(Status, row["status"]),
        title=row["title"],
        description=row["description"],
        place=Place(row["place_name"], row["lat"], row["lon"], row["radius_km"]),
        published=_when(row["published"]),
        updated=_when(row["updated"]),
        expires=_when(row["expires_at"]),
        end=_when(row["end_at"]),
        start=_maybe_when(row["start_at"]),
        return_by=_maybe_when(row["return_by"]),
        hours=row["hours"],
        reciprocal=None if reciprocal is None else Reciprocal(*reciprocal),
        capacity=row["capacity"],
        party_size=row["party_size"],
        flexible=bool(row["flexible"]),
        house_rules=row["house_rules"],
        images=tuple(Image(*i) for i in extra.get("images", [])),
        reserved_for=row["reserved_for"],
        visibility=cast(Visibility, row["visibility"]),
        audience=row["audience"],
    )


async def get(db: Database | Transaction, listing_id: str) -> Listing | None:
    """A live (not deleted) listing by id."""
    row = await db.fetch_one(
        f"SELECT {SELECT_COLUMNS} FROM listings l WHERE l.id = ? AND l.deleted = 0",
        (listing_id,),
    )
    return None if row is None else from_row(row)


async def get_document(db: Database | Transaction, listing_id: str) -> tuple[JSON, bool] | None:
    """(the stored document, deleted?) — a deleted listing's document is its Tombstone."""
    row = await db.fetch_one(
        "SELECT d.document, l.deleted FROM listings l JOIN listing_documents d USING (num)"
        " WHERE l.id = ?",
        (listing_id,),
    )
    return None if row is None else (json.loads(row["document"]), bool(row["deleted"]))


async def upsert(
    tx: Transaction, listing: Listing, document: JSON, *, now: datetime | None = None
) -> bool:
    """Store a new listing, or replace a stored one when `listing.updated` is newer
    (`now`, the writer's clock, bounds the time its status is indexed at). Another server's
    listing that was withdrawn here (`delete(..., for_good=False)`) comes back live with a
    version newer than the one it had.

    False (nothing changed) when the stored version is as new or newer, when the id was
    deleted for good (ids are never reused), or when the origin differs (a remote object
    never replaces one of ours, nor the other way round)."""
    values = row_values(listing)
    row = await tx.fetch_one(
        "SELECT num, remote, updated, deleted FROM listings WHERE id = ?", (listing.id,)
    )
    if row is None:
        num = await tx.insert(_INSERT, values)
        await tx.execute(_DOCUMENT, (num, compact_json(document)))
        await tx.execute(_INDEX_ADD, (num, listing.title, listing.description, listing.place.name))
        await statuses.index_listing(tx, listing, document, now=now)
        return True
    if row["deleted"] not in (LIVE, WITHDRAWN) or row["remote"] != values[1]:
        return False
    if row["updated"] >= iso(listing.updated):
        return False
    num = row["num"]
    if row["deleted"] == WITHDRAWN:  # back: its text left the index when it was withdrawn
        await tx.execute("UPDATE listings SET deleted = ? WHERE num = ?", (LIVE, num))
        await statuses.mark_live(tx, listing.id)
    else:
        await tx.execute(_INDEX_REMOVE[tx.dialect], (num,))
    await tx.execute(_UPDATE, (*values[1:], num))
    await tx.execute(_DOCUMENT, (num, compact_json(document)))
    await tx.execute(_INDEX_ADD, (num, listing.title, listing.description, listing.place.name))
    await statuses.index_listing(tx, listing, document, now=now)
    return True


async def insert_many(
    tx: Transaction, items: Iterable[tuple[Listing, JSON]], *, now: datetime | None = None
) -> None:
    """Bulk insert of new listings (ids not yet stored), indexed in one statement at the end."""
    start = await tx.fetch_one("SELECT coalesce(max(num), 0) FROM listings")
    first = 0 if start is None else int(start[0])
    documents: list[str] = []
    kept: list[tuple[Listing, JSON]] = []

    def rows() -> Iterable[tuple[Any, ...]]:
        for item, doc in items:
            documents.append(compact_json(doc))
            kept.append((item, doc))
            yield row_values(item)

    await tx.executemany(_INSERT, rows())
    # Rows got consecutive nums, in order, inside this transaction.
    await tx.executemany(_DOCUMENT, ((first + i, d) for i, d in enumerate(documents, 1)))
    await tx.execute(
        "INSERT INTO listings_fts (rowid, title, description, place_name)"
        " SELECT num, title, description, place_name FROM listings WHERE num > ?",
        (first,),
    )
    await statuses.index_listings(tx, kept, now=now)


async def set_status(
    tx: Transaction,
    listing_id: str,
    status: Status,
    *,
    updated: datetime,
    document: JSON,
    reserved_for: str | None = None,
) -> bool:
    """Move a live listing to `status` (with `reserved_for` when reserved, or to record who
    took it); False if it is deleted, unknown, or `updated` is not newer."""
    changed = await tx.execute(
        "UPDATE listings SET status = ?, reserved_for = ?, updated = ?"
        " WHERE id = ? AND deleted = 0 AND updated < ?",
        (status, reserved_for, iso(updated), listing_id, iso(updated)),
    )
    if changed:
        await set_document(tx, listing_id, document)
    return changed > 0


async def set_document(tx: Transaction, listing_id: str, document: JSON) -> None:
    await tx.execute(
        "UPDATE listing_documents SET document = ?"
        " WHERE num = (SELECT num FROM listings WHERE id = ?)",
        (compact_json(document), listing_id),
    )


async def delete(
    tx: Transaction,
    listing_id: str,
    deleted_at: datetime,
    tombstone: JSON,
    *,
    for_good: bool = True,
) -> bool:
    """Turn a listing into a Tombstone: its text and position are dropped (and leave the
    index), its row and id stay so that the id is never taken again. False if already gone.

    Not `for_good`: another server's listing withdrawn here while its author may still have
    it (its origin no longer serves it to us, it left our radius, we stopped taking its
    server's listings). It keeps the `updated` of the version we had, so that any newer
    version its origin serves us later brings it back (`upsert`)."""
    row = await tx.fetch_one(
        "SELECT num, updated FROM listings WHERE id = ? AND deleted = 0", (listing_id,)
    )
    if row is None:
        return False
    await tx.execute(_INDEX_REMOVE[tx.dialect], (row["num"],))
    await tx.execute(
        "UPDATE listings SET deleted = ?, status = 'withdrawn', title = '', description = '',"
        " place_name = '', lat = NULL, lon = NULL, house_rules = '', reserved_for = NULL,"
        " extra = '{}', updated = ? WHERE num = ?",
        (
            DELETED if for_good else WITHDRAWN,
            iso(deleted_at) if for_good else row["updated"],
            row["num"],
        ),
    )
    await tx.execute(_DOCUMENT, (row["num"], compact_json(tombstone)))
    await statuses.mark_deleted(tx, listing_id)
    return True


async def expire_due(tx: Transaction, now: datetime) -> list[str]:
    """Mark every open or reserved listing whose time has come as expired; return the ids
    of ours among them, whose `updated` moves on (at least a second) so that the caller can
    store and publish their Updates. Other servers' listings keep their `updated`: a later
    Update from their author must still apply."""
    due = "status IN ('open', 'reserved') AND deleted = 0 AND expires_at <= ?"
    at = iso(now)
    rows = await tx.fetch_all(f"SELECT id FROM listings WHERE {due} AND remote = 0", (at,))
    await tx.execute(
        "UPDATE listings SET status = 'expired', updated = CASE WHEN remote = 0"
        f" THEN max(?, {_SECOND_LATER[tx.dialect]}) ELSE updated END"
        f" WHERE {due}",
        (at, at),
    )
    return [row["id"] for row in rows]


async def delete_by_author(tx: Transaction, author: str, deleted_at: datetime) -> int:
    """Tombstone every live listing of a (deleted) remote author; returns how many."""
    rows = await tx.fetch_all(
        "SELECT id FROM listings WHERE author = ? AND remote = 1 AND deleted = 0", (author,)
    )
    for row in rows:
        tombstone = {"id": row["id"], "type": "Tombstone", "deleted": iso(deleted_at)}
        await delete(tx, row["id"], deleted_at, tombstone)
    return len(rows)
