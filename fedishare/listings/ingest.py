"""Taking in other servers' listings: always as their origin serves them.

An Announce, Create, Update or Delete only tells us WHICH listing to look at; its embedded
copy is never stored. `refresh` fetches the listing from where its id points (signed by our
instance actor, no redirects), keeps it only if its author lives on that same host, and
stores it (`upsert` applies a version only when its `updated` is newer). A 410 or a
Tombstone means the listing is gone: ours becomes a Tombstone too, for good. A 404 means it
is not served to us (any more): ours is withdrawn, and a newer version served later (the
author made it public again) brings it back; so does one moved back within the radius. A
followers-only listing is served only to a server hosting one of its author's followers: it
is kept as followers-only (no Public in its addressing), and the status index and
`fedishare.statuses.visibility` show it to the members who follow its author, and to nobody
else.

With a radius set ([federation] radius_km around [community] latitude/longitude), listings
placed farther away are left out, and removed if we had them. Listings without a position
are kept: nothing says they are far.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import Enum
from typing import Any

from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none, iso, parse_iso
from fedishare.core.config import Config
from fedishare.core.listing import Listing, Place, whole_seconds
from fedishare.core.types import JSON
from fedishare.federation.errors import FetchError
from fedishare.listings.reading import clean_document, listing_from_object
from fedishare.remote.fetch import signed_get
from fedishare.storage import listings as store
from fedishare.storage.listing_search import haversine_km

log = logging.getLogger(__name__)

# Answers that may well be different on a later try: the inbox worker retries the item.
_TRANSIENT = frozenset({408, 425, 429, 500, 502, 503, 504})
# Activities whose `object` is the thing they are about (FEP-1b12 Announces embed them).
ACTIVITY_TYPES = frozenset({"Create", "Update", "Delete"})


class Outcome(Enum):
    STORED = "stored"  # new, or a newer version
    UNCHANGED = "unchanged"  # not newer than what we have (or deleted here before)
    DELETED = "deleted"  # gone at its origin, or outside the radius: removed here
    SKIPPED = "skipped"  # not a listing we may keep (and nothing of ours to remove)


def within_radius(config: Config, place: Place) -> bool:
    """Whether a listing at `place` is inside the operator's radius (or there is none)."""
    centre, limit = config.community.centre, config.federation.radius_km
    if not limit or centre is None or place.latitude is None or place.longitude is None:
        return True
    return haversine_km(centre[0], centre[1], place.latitude, place.longitude) <= limit


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _deleted_at(doc: JSON | None, now: datetime) -> datetime:
    parsed = None if doc is None else parse_iso(doc.get("deleted"))
    return whole_seconds(now if parsed is None else parsed)


async def is_kept(inst: Instance, listing_id: str) -> bool:
    """Whether we keep another server's live listing with this id."""
    found = await store.get(inst.db, listing_id)
    return found is not None and not found.is_local


async def forget(
    inst: Instance, listing_id: str, tombstone: JSON | None = None, *, for_good: bool = False
) -> bool:
    """Turn another server's listing into a Tombstone here; False if we had none live.

    For good when its origin says it was deleted (a `tombstone`, or `for_good`: 410 Gone, its
    author deleted); otherwise it is only withdrawn here (a 404, outside the radius, a server
    we no longer take listings from), and comes back if its origin later serves us a newer
    version (made public again, moved back within the radius)."""
    when = _deleted_at(tombstone, inst.clock())
    async with inst.db.transaction() as tx:
        found = await store.get(tx, listing_id)
        if found is None or found.is_local:
            return False
        doc = {"id": listing_id, "type": "Tombstone", "deleted": iso(when)}
        final = for_good or tombstone is not None
        return await store.delete(tx, listing_id, when, doc, for_good=final)


async def refresh(inst: Instance, listing_id: str, *, unwrap: bool = True) -> Outcome:
    """Bring our copy of another server's listing in step with its origin.

    Raises FetchError when the origin may answer later (unreachable, 5xx, 429), so that
    the inbox worker tries again. With `unwrap`, an id that turns out to name a Create or
    Update (some servers announce activity ids) is followed to its object, once."""
    host = host_or_none(listing_id)
    if host is None or listing_id.startswith(inst.urls.base + "/"):
        return Outcome.SKIPPED  # not a URL, or ours: never taken from others
    if not inst.domains.permits(host):
        return Outcome.DELETED if await forget(inst, listing_id) else Outcome.SKIPPED
    if listing_id.startswith("http:") and not inst.config.instance.allow_insecure:
        return Outcome.SKIPPED
    try:
        doc = await signed_get(inst, listing_id)
    except FetchError as exc:
        if exc.status in (404, 410):
            gone = await forget(inst, listing_id, for_good=exc.status == 410)
            return Outcome.DELETED if gone else Outcome.SKIPPED
        if exc.status is None or exc.status in _TRANSIENT:
            raise
        log.info("listing %s not taken: %s", listing_id, exc.reason)
        return Outcome.SKIPPED
    if _id(doc) != listing_id:
        return Outcome.SKIPPED
    kind = doc.get("type")
    if kind == "Tombstone":
        return Outcome.DELETED if await forget(inst, listing_id, doc) else Outcome.SKIPPED
    if unwrap and kind in ("Create", "Update"):
        inner = _id(doc.get("object"))
        if inner is None or host_or_none(inner) != host:
            return Outcome.SKIPPED
        return await refresh(inst, inner, unwrap=False)
    listing = listing_from_object(doc, now=inst.clock())
    if listing is None or host_or_none(listing.author) != host:
        return Outcome.SKIPPED
    return await keep(inst, listing, doc)


async def keep(inst: Instance, listing: Listing, doc: JSON) -> Outcome:
    """Store `listing` as fetched from its origin (`doc`), unless outside the radius."""
    if not within_radius(inst.config, listing.place):
        return Outcome.DELETED if await forget(inst, listing.id) else Outcome.SKIPPED
    async with inst.db.transaction() as tx:
        stored = await store.upsert(tx, listing, clean_document(doc), now=inst.clock())
    return Outcome.STORED if stored else Outcome.UNCHANGED


async def worth_fetching(inst: Instance, value: Any) -> bool:
    """Whether an object named in an activity may be a listing (decided from the embedded
    copy when there is one, which is then fetched; a bare id always may be)."""
    listing_id = _id(value)
    if listing_id is None:
        return False
    if not isinstance(value, dict) or listing_from_object(value, now=inst.clock()) is not None:
        return True
    return await is_kept(inst, listing_id)  # a Tombstone, or a listing no longer one


def announced(value: Any) -> Any:
    """What an Announce is about: the object of an embedded Create/Update/Delete
    (FEP-1b12), else the announced object itself."""
    if isinstance(value, dict) and value.get("type") in ACTIVITY_TYPES:
        return value.get("object")
    return value


async def forget_author(inst: Instance, author: str) -> int:
    """Tombstone every listing of a remote actor that was deleted."""
    if author.startswith(inst.urls.base + "/"):
        return 0
    async with inst.db.transaction() as tx:
        return await store.delete_by_author(tx, author, whole_seconds(inst.clock()))
