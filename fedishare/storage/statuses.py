"""The status index: one row per status the client API may show, kept in step with
`objects` and `listings` by their writers (in the same transaction), plus boosts.

A status id is a Mastodon-style snowflake (`fedishare.core.snowflake`) of the time the
status was published, so that timelines are walks of an integer key, newest first. The
low bits count up within a millisecond (statuses of one second keep the order they were
stored in); a clash with an id taken otherwise (a back-filled row) is retried at random.
Hashtags (lowercased, no '#') and mentioned actors live in `status_tags` and
`status_mentions`, which the tag timeline and the visibility of direct statuses walk.
The timeline queries themselves are in `fedishare.storage.timelines`.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fedishare.core.activitystreams import iso, parse_iso
from fedishare.core.listing import Listing
from fedishare.core.posts import (
    has_media,
    hashtags_of,
    listing_tags,
    may_boost,
    mentions_in,
    visibility_of,
)
from fedishare.core.snowflake import bounds, snowflake
from fedishare.core.types import JSON
from fedishare.core.urls import Urls
from fedishare.storage import notifications
from fedishare.storage.account_relations import silenced_for_notifications
from fedishare.storage.database import Database, Row, Transaction
from fedishare.storage.rows import chunks, from_row, marks

KINDS = ("note", "listing", "reblog")
VISIBILITIES = ("public", "unlisted", "private", "direct")
_LISTING_VISIBILITY = {"public": "public", "unlisted": "unlisted", "followers": "private"}
_TRIES = 8
COLUMNS = (
    "id, uri, kind, author, local_actor_id, visibility, in_reply_to, reblog_of, has_media,"
    " published, deleted"
)


@dataclass(frozen=True)
class StatusRow:
    id: int
    uri: str
    kind: str
    author: str
    local_actor_id: int | None
    visibility: str
    in_reply_to: str | None
    reblog_of: int | None
    has_media: bool
    published: str
    deleted: bool


def rows_of(rows: Iterable[Row]) -> list[StatusRow]:
    return [from_row(StatusRow, row) for row in rows]


async def _one(db: Database | Transaction, column: str, value: int | str) -> StatusRow | None:
    row = await db.fetch_one(f"SELECT {COLUMNS} FROM statuses WHERE {column} = ?", (value,))
    return None if row is None else from_row(StatusRow, row)


async def _many(
    db: Database | Transaction, column: str, values: Sequence[int | str]
) -> list[StatusRow]:
    found: list[StatusRow] = []
    for chunk in chunks(values):
        rows = await db.fetch_all(
            f"SELECT {COLUMNS} FROM statuses WHERE {column} IN ({marks(chunk)})", chunk
        )
        found += rows_of(rows)
    return found


async def get(db: Database | Transaction, status_id: int) -> StatusRow | None:
    return await _one(db, "id", status_id)


async def get_many(db: Database | Transaction, ids: Sequence[int]) -> dict[int, StatusRow]:
    return {r.id: r for r in await _many(db, "id", ids)}


async def by_uri(db: Database | Transaction, uri: str) -> StatusRow | None:
    return await _one(db, "uri", uri)


async def by_uris(db: Database | Transaction, uris: Sequence[str]) -> dict[str, StatusRow]:
    return {r.uri: r for r in await _many(db, "uri", uris)}


async def tags_of(db: Database | Transaction, status_id: int) -> list[str]:
    rows = await db.fetch_all(
        "SELECT tag FROM status_tags WHERE status_id = ? ORDER BY tag", (status_id,)
    )
    return [row["tag"] for row in rows]


async def mentions_of(db: Database | Transaction, status_id: int) -> list[str]:
    rows = await db.fetch_all(
        "SELECT actor FROM status_mentions WHERE status_id = ? ORDER BY actor", (status_id,)
    )
    return [row["actor"] for row in rows]


async def mentioning(
    db: Database | Transaction, actor: str, status_ids: Collection[int]
) -> set[int]:
    """Those of `status_ids` that mention `actor` (one read per few hundred, on the key)."""
    found: set[int] = set()
    for chunk in chunks(sorted(status_ids)):
        rows = await db.fetch_all(
            "SELECT status_id FROM status_mentions WHERE actor = ?"
            f" AND status_id IN ({marks(chunk)})",
            (actor, *chunk),
        )
        found |= {int(r[0]) for r in rows}
    return found


def _time(text: str, now: datetime | None) -> datetime:
    """When a status was published, for its id: as its text says, but never after `now`
    (the writer's clock), so that a post dated in the future does not stay atop every
    timeline; `now` when the text names no moment. Without `now` the writer vouches for
    the time (seeding, tests)."""
    at = parse_iso(text)
    if now is None:
        if at is None:
            raise ValueError(f"a status published at {text!r} needs the time it is stored")
        return at
    return now if at is None else min(at, now)


async def _followers_of(tx: Transaction, author: str) -> str | None:
    row = await tx.fetch_one("SELECT followers FROM remote_actors WHERE id = ?", (author,))
    return None if row is None else row["followers"]


async def _local_actor_id(tx: Transaction, listing: Listing) -> int | None:
    """The local actor who wrote one of our listings. Our ids are made under one base
    (BASE/listings/…, BASE/users/NAME), so the author is ours only on the base of the
    listing's own id: another host's /users/NAME is not our NAME."""
    base, sep, _ = listing.id.rpartition("/listings/")
    name = Urls(base).username_of(listing.author) if sep else None
    if name is None:
        return None
    row = await tx.fetch_one("SELECT id FROM local_actors WHERE username = ?", (name,))
    return None if row is None else int(row["id"])


# -- writing ------------------------------------------------------------------------------


async def _next_id(tx: Transaction, at: datetime) -> int:
    first, last = bounds(at)
    row = await tx.fetch_one("SELECT max(id) FROM statuses WHERE id BETWEEN ? AND ?", (first, last))
    taken = None if row is None else row[0]
    if taken is None:
        return first
    if taken < last:
        return int(taken) + 1
    return snowflake(at, random.getrandbits(16))


async def _insert(
    tx: Transaction,
    *,
    uri: str,
    kind: str,
    author: str,
    local_actor_id: int | None,
    visibility: str,
    in_reply_to: str | None,
    reblog_of: int | None,
    media: bool,
    published: str,
    tags: Iterable[str] = (),
    mentions: Iterable[str] = (),
    now: datetime | None = None,
) -> int | None:
    """Add a status; its id, or None when `uri` is indexed already."""
    if await by_uri(tx, uri) is not None:
        return None
    at = _time(published, now)
    status_id = await _next_id(tx, at)
    for _ in range(_TRIES):
        added = await tx.execute(
            f"INSERT INTO statuses ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)"
            " ON CONFLICT (id) DO NOTHING",
            (
                status_id,
                uri,
                kind,
                author,
                local_actor_id,
                visibility,
                in_reply_to,
                reblog_of,
                int(media),
                published,
            ),
        )
        if added:
            break
        status_id = snowflake(at, random.getrandbits(16))  # the id clashed
    else:
        raise RuntimeError(f"no free status id for {uri}")
    await _add_tags(tx, status_id, tags, mentions)  # a new id: statuses are never deleted
    return status_id


async def _set_tags(
    tx: Transaction, status_id: int, tags: Iterable[str], mentions: Iterable[str]
) -> None:
    await tx.execute("DELETE FROM status_tags WHERE status_id = ?", (status_id,))
    await tx.execute("DELETE FROM status_mentions WHERE status_id = ?", (status_id,))
    await _add_tags(tx, status_id, tags, mentions)


async def _add_tags(
    tx: Transaction, status_id: int, tags: Iterable[str], mentions: Iterable[str]
) -> None:
    await tx.executemany(
        "INSERT OR IGNORE INTO status_tags (tag, status_id) VALUES (?, ?)",
        [(tag, status_id) for tag in sorted(set(tags))],
    )
    await tx.executemany(
        "INSERT OR IGNORE INTO status_mentions (actor, status_id) VALUES (?, ?)",
        [(actor, status_id) for actor in sorted(set(mentions))],
    )


async def index_object(
    tx: Transaction,
    document: JSON,
    *,
    attributed_to: str,
    published: str,
    in_reply_to: str | None = None,
    local_actor_id: int | None = None,
    now: datetime | None = None,
) -> int | None:
    """Index a newly stored object (a note, or any other kind apps show as a status)."""
    if document.get("type") == "Tombstone" or not isinstance(document.get("id"), str):
        return None
    followers = None if local_actor_id is not None else await _followers_of(tx, attributed_to)
    return await _insert(
        tx,
        uri=document["id"],
        kind="note",
        author=attributed_to,
        local_actor_id=local_actor_id,
        visibility=visibility_of(document, followers),
        in_reply_to=in_reply_to,
        reblog_of=None,
        media=has_media(document),
        published=published,
        tags=hashtags_of(document),
        mentions=mentions_in(document, followers),
        now=now,
    )


async def update_object(
    tx: Transaction,
    object_id: str,
    document: JSON,
    *,
    updated: str = "",
    now: datetime | None = None,
) -> None:
    """An edited note: its tags, mentions and media again (visibility stays, as Mastodon's)."""
    row = await by_uri(tx, object_id)
    if row is None or row.kind != "note" or row.deleted:
        return
    followers = None if row.local_actor_id is not None else await _followers_of(tx, row.author)
    await tx.execute(
        "UPDATE statuses SET has_media = ? WHERE id = ?", (int(has_media(document)), row.id)
    )
    await _set_tags(tx, row.id, hashtags_of(document), mentions_in(document, followers))
    said = document.get("updated")
    await _edited(tx, row, _time(said if isinstance(said, str) else updated, now))


async def _edited(tx: Transaction, row: StatusRow, at: datetime) -> None:
    """What an edit brings along, whoever made it (a member here, an Update from another
    server, the web board): the next edit number (for the streaming API's `status.update`)
    and an `update` notification for each member here who boosted the status, as Mastodon
    sends (done here, where every edit passes, in the edit's own transaction)."""
    await tx.execute(
        "UPDATE statuses SET edit_seq = (SELECT coalesce(max(edit_seq), 0) + 1 FROM statuses"
        " WHERE edit_seq IS NOT NULL) WHERE id = ?",
        (row.id,),
    )
    boosters = await tx.fetch_all(
        "SELECT DISTINCT a.id FROM statuses s JOIN local_actors a ON a.id = s.local_actor_id"
        " WHERE s.reblog_of = ? AND s.deleted = 0 AND s.author != ? AND a.kind = 'person'"
        " AND a.disabled = 0",
        (row.id, row.author),
    )
    for booster in boosters:
        member = int(booster["id"])
        if row.author not in await silenced_for_notifications(tx, member, at.timestamp()):
            await notifications.renew(
                tx,
                recipient_id=member,
                type="update",
                from_actor=row.author,
                status_id=row.id,
                at=at,
            )


async def edits_since(
    db: Database | Transaction, after: int, *, limit: int = 100
) -> list[tuple[int, StatusRow]]:
    """(edit number, status) of the statuses edited after edit number `after`, in order."""
    rows = await db.fetch_all(
        f"SELECT edit_seq, {COLUMNS} FROM statuses WHERE edit_seq > ? ORDER BY edit_seq"
        f" LIMIT {limit:d}",
        (after,),
    )
    return [(int(r["edit_seq"]), from_row(StatusRow, r)) for r in rows]


async def last_edit(db: Database | Transaction) -> int:
    """The number of the latest edit (0 before any)."""
    row = await db.fetch_one(
        "SELECT coalesce(max(edit_seq), 0) FROM statuses WHERE edit_seq IS NOT NULL"
    )
    return 0 if row is None else int(row[0])


async def index_listing(
    tx: Transaction, listing: Listing, document: JSON, *, now: datetime | None = None
) -> int | None:
    """Index a stored (new or changed) listing; a note indexed before under the same id
    becomes the listing."""
    visibility = _LISTING_VISIBILITY[listing.visibility]
    tags = listing_tags(listing, document)
    mentions = mentions_in(document)
    media = bool(listing.images) or has_media(document)
    row = await by_uri(tx, listing.id)
    if row is None:
        local_id = None if listing.origin == "remote" else await _local_actor_id(tx, listing)
        return await _insert(
            tx,
            uri=listing.id,
            kind="listing",
            author=listing.author,
            local_actor_id=local_id,
            visibility=visibility,
            in_reply_to=None,
            reblog_of=None,
            media=media,
            published=iso(listing.published),
            tags=tags,
            mentions=mentions,
            now=now,
        )
    if row.deleted or row.kind == "reblog":
        return None
    await tx.execute(
        "UPDATE statuses SET kind = 'listing', visibility = ?, has_media = ? WHERE id = ?",
        (visibility, int(media), row.id),
    )
    await _set_tags(tx, row.id, tags, mentions)
    if row.kind == "listing":  # a new version (not a note becoming the listing it was)
        await _edited(tx, row, listing.updated)
    return row.id


async def index_listings(
    tx: Transaction, items: Iterable[tuple[Listing, JSON]], *, now: datetime | None = None
) -> None:
    for listing, document in items:
        await index_listing(tx, listing, document, now=now)


async def index_reblog(
    tx: Transaction,
    *,
    uri: str,
    author: str,
    reblog_of: int,
    published: str,
    visibility: str = "public",
    local_actor_id: int | None = None,
    now: datetime | None = None,
) -> int | None:
    """Index a boost (`uri` is the Announce's id) of the status `reblog_of`; None if that
    Announce is indexed already, or the status is gone or is itself a boost, or may not be
    boosted by `author` (a followers-only or direct status of someone else: timelines and
    streams show a boost's original, which must not reach the booster's followers)."""
    original = await get(tx, reblog_of)
    if original is None or original.deleted or original.kind == "reblog":
        return None
    if not may_boost(original.visibility, original.author, author):
        return None
    return await _insert(
        tx,
        uri=uri,
        kind="reblog",
        author=author,
        local_actor_id=local_actor_id,
        visibility=visibility,
        in_reply_to=None,
        reblog_of=reblog_of,
        media=original.has_media,
        published=published,
        now=now,
    )


async def mark_live(tx: Transaction, uri: str) -> None:
    """A listing withdrawn here is back (`fedishare.storage.listings.upsert`): its status
    is live again, to be indexed anew; the boosts that went with it stay gone."""
    await tx.execute("UPDATE statuses SET deleted = 0 WHERE uri = ? AND kind = 'listing'", (uri,))


async def mark_deleted(tx: Transaction, uri: str) -> bool:
    """A status is gone (and its boosts with it); False if it was not indexed or live."""
    row = await by_uri(tx, uri)
    if row is None or row.deleted:
        return False
    await tx.execute(
        "UPDATE statuses SET deleted = 1 WHERE id = ? OR reblog_of = ?", (row.id, row.id)
    )
    await _set_tags(tx, row.id, (), ())
    return True


async def unreblog(tx: Transaction, author: str, reblog_of: int) -> list[str]:
    """Mark the live boosts of `reblog_of` by `author` deleted; their uris."""
    rows = await tx.fetch_all(
        "SELECT uri FROM statuses WHERE reblog_of = ? AND author = ? AND deleted = 0",
        (reblog_of, author),
    )
    await tx.execute(
        "UPDATE statuses SET deleted = 1 WHERE reblog_of = ? AND author = ?", (reblog_of, author)
    )
    return [row["uri"] for row in rows]


async def reblog_by(db: Database | Transaction, author: str, reblog_of: int) -> StatusRow | None:
    """The live boost of `reblog_of` by `author`, if any."""
    row = await db.fetch_one(
        f"SELECT {COLUMNS} FROM statuses WHERE reblog_of = ? AND author = ? AND deleted = 0",
        (reblog_of, author),
    )
    return None if row is None else from_row(StatusRow, row)


async def undo_reblog(tx: Transaction, uri: str, author: str) -> bool:
    """Undo(Announce) by its actor: the boost `uri` is gone; False if none of theirs was."""
    changed = await tx.execute(
        "UPDATE statuses SET deleted = 1 WHERE uri = ? AND author = ? AND kind = 'reblog'"
        " AND deleted = 0",
        (uri, author),
    )
    return changed > 0
