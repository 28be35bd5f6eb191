"""Our members' listings through their life: create, edit, reserve, release, mark taken or
received, withdraw, delete, expire.

Each function checks who asks and whether the change is allowed, then, in ONE transaction,
stores the result and queues its publication (`fedishare.listings.publishing`: the author's
Create, Update with a newer `updated`, or Delete with a Tombstone to the author's followers,
and the community Group's Announce of it to the Group's followers), so that a crash can
never leave a stored change unannounced. It wakes the delivery worker after the commit and
returns the published activity as a `Change`; callers publish nothing more.

Only the author changes a listing; closed listings (taken, received, withdrawn, expired)
can be deleted but not edited or reopened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from fedishare.context import Instance
from fedishare.core.activitystreams import new_id
from fedishare.core.errors import Conflict, Forbidden, Invalid, NotFound
from fedishare.core.listing import TIME_CREDIT, Listing, Reciprocal, Status, whole_seconds
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.listings import activities
from fedishare.listings.lifecycle import check_editable, check_transition
from fedishare.listings.publishing import queue_change
from fedishare.listings.validation import Draft, parse_draft
from fedishare.listings.wire import to_note
from fedishare.storage import actors as actor_store
from fedishare.storage import listings as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Transaction


@dataclass(frozen=True)
class Change:
    """A stored and published change: `activity` sent by `sender`. `listing` is the
    listing after the change (before it, for a Delete)."""

    sender: LocalActor
    listing: Listing
    activity: JSON


def group_id(inst: Instance) -> str:
    return inst.urls.actor(inst.config.community.handle)


def _next_updated(previous: datetime, now: datetime) -> datetime:
    """A change's `updated`: now, but always at least a second after the last one, since
    peers apply an Update only when `updated` is newer (and times travel in seconds)."""
    return max(whole_seconds(now), previous + timedelta(seconds=1))


def _from_draft(draft: Draft, **fields: Any) -> Listing:
    credits = draft.time_credits
    return Listing(
        purpose=draft.purpose,
        kind=draft.kind,
        title=draft.title,
        description=draft.description,
        place=draft.place,
        expires=draft.expires,
        end=draft.end,
        start=draft.start,
        return_by=draft.return_by,
        hours=draft.hours,
        reciprocal=None if credits is None else Reciprocal("hour", credits, TIME_CREDIT),
        capacity=draft.capacity,
        party_size=draft.party_size,
        flexible=draft.flexible,
        house_rules=draft.house_rules,
        images=draft.images,
        visibility=draft.visibility,
        **fields,
    )


def _check_member(author: LocalActor) -> None:
    if author.kind != "person" or author.disabled:
        raise Forbidden("only an active member can publish listings")


async def create_listing(inst: Instance, author: LocalActor, data: Any) -> Change:
    """Validate a member's new listing, store it, and return its Create."""
    _check_member(author)
    now = whole_seconds(inst.clock())
    draft = parse_draft(data, max_chars=inst.config.limits.max_listing_chars, now=now)
    listing = _from_draft(
        draft,
        id=new_id(inst.urls.base, "listings"),
        author=actor_id(inst.urls, author),
        origin="local",
        status="open",
        published=now,
        updated=now,
        audience=group_id(inst),
    )
    note = to_note(listing, inst.urls.base)
    change = Change(author, listing, activities.create(note, now))
    async with inst.db.transaction() as tx:
        await store.upsert(tx, listing, note, now=now)
        await _queue(tx, inst, change)
    inst.wake_delivery.set()
    return change


async def _own(tx: Transaction, inst: Instance, author: LocalActor, listing_id: str) -> Listing:
    _check_member(author)
    listing = await store.get(tx, listing_id)
    if listing is None or not listing.is_local:
        raise NotFound("no such listing")
    if listing.author != actor_id(inst.urls, author):
        raise Forbidden("only the author can change a listing")
    return listing


async def edit_listing(inst: Instance, author: LocalActor, listing_id: str, data: Any) -> Change:
    """Replace what the member chose (the whole listing, as when creating); status,
    reservation and publication time stay. The expiry still counts from publication."""
    now = whole_seconds(inst.clock())
    async with inst.db.transaction() as tx:
        old = await _own(tx, inst, author, listing_id)
        check_editable(old)
        draft = parse_draft(
            data, max_chars=inst.config.limits.max_listing_chars, now=now, published=old.published
        )
        listing = _from_draft(
            draft,
            id=old.id,
            author=old.author,
            origin="local",
            status=old.status,
            published=old.published,
            updated=_next_updated(old.updated, now),
            reserved_for=old.reserved_for,
            audience=old.audience,
        )
        note = to_note(listing, inst.urls.base)
        if not await store.upsert(tx, listing, note, now=now):
            raise Conflict("the listing changed meanwhile; try again")
        change = Change(author, listing, activities.update(inst.urls.base, note, listing.updated))
        await _queue(tx, inst, change)
    inst.wake_delivery.set()
    return change


async def _move(
    inst: Instance,
    author: LocalActor,
    listing_id: str,
    status: Status | None,
    *,
    reserved_for: str | None = None,
    keep_reservation: bool = False,
) -> Change:
    """Change the status (None: to taken or received, whichever fits the listing)."""
    now = whole_seconds(inst.clock())
    async with inst.db.transaction() as tx:
        old = await _own(tx, inst, author, listing_id)
        status = status or old.done_status
        check_transition(old, status, reserved_for=reserved_for)
        if keep_reservation:
            reserved_for = reserved_for or old.reserved_for
        listing = replace(
            old, status=status, reserved_for=reserved_for, updated=_next_updated(old.updated, now)
        )
        note = to_note(listing, inst.urls.base)
        changed = await store.set_status(
            tx,
            listing.id,
            status,
            updated=listing.updated,
            document=note,
            reserved_for=listing.reserved_for,
        )
        if not changed:
            raise Conflict("the listing changed meanwhile; try again")
        change = Change(author, listing, activities.update(inst.urls.base, note, listing.updated))
        await _queue(tx, inst, change)
    inst.wake_delivery.set()
    return change


async def reserve(inst: Instance, author: LocalActor, listing_id: str, responder: str) -> Change:
    """Hold an open (or reserved) listing for one responder (an actor id)."""
    if not responder.startswith(("https://", "http://")):
        raise Invalid("reservedFor: an actor id (URL)")
    return await _move(inst, author, listing_id, "reserved", reserved_for=responder)


async def release(inst: Instance, author: LocalActor, listing_id: str) -> Change:
    """Drop a reservation: the listing is open to everyone again."""
    return await _move(inst, author, listing_id, "open")


async def mark_done(
    inst: Instance, author: LocalActor, listing_id: str, *, recipient: str | None = None
) -> Change:
    """An offer was taken, a request received. `recipient` (an actor id) records with whom;
    by default the one it was reserved for. The caller tells the other responders."""
    return await _move(
        inst, author, listing_id, None, reserved_for=recipient, keep_reservation=True
    )


async def withdraw(inst: Instance, author: LocalActor, listing_id: str) -> Change:
    return await _move(inst, author, listing_id, "withdrawn")


async def delete_listing(inst: Instance, author: LocalActor, listing_id: str) -> Change:
    """Remove a listing for good: a Tombstone stays in its place and the id is never reused."""
    async with inst.db.transaction() as tx:
        change = await _delete(tx, inst, author, await _own(tx, inst, author, listing_id))
    inst.wake_delivery.set()
    return change


async def _delete(tx: Transaction, inst: Instance, author: LocalActor, listing: Listing) -> Change:
    """Tombstone `listing` and queue its author's Delete."""
    note = to_note(listing, inst.urls.base)
    deleted = _next_updated(listing.updated, whole_seconds(inst.clock()))
    await store.delete(tx, listing.id, deleted, activities.tombstone(listing.id, deleted))
    change = Change(author, listing, activities.delete(inst.urls.base, note, deleted))
    await _queue(tx, inst, change)
    return change


async def expire_due(inst: Instance) -> list[Change]:
    """Expire every listing whose time has come (other servers' ones quietly), publishing
    an Update for each of ours in the same transaction; return those. Running it again
    finds nothing more to do. `fedishare.listings.expiry` runs it every minute."""
    now = whole_seconds(inst.clock())
    changes = []
    async with inst.db.transaction() as tx:
        for listing_id in await store.expire_due(tx, now):
            listing = await store.get(tx, listing_id)
            assert listing is not None
            sender = await _author_of(tx, inst, listing)
            note = to_note(listing, inst.urls.base)
            await store.set_document(tx, listing_id, note)
            if sender is not None:
                update = activities.update(inst.urls.base, note, listing.updated)
                changes.append(Change(sender, listing, update))
                await _queue(tx, inst, changes[-1])
    if changes:
        inst.wake_delivery.set()
    return changes


async def _queue(tx: Transaction, inst: Instance, change: Change) -> None:
    await queue_change(tx, inst, change.sender, change.listing, change.activity)


async def _author_of(tx: Transaction, inst: Instance, listing: Listing) -> LocalActor | None:
    prefix = inst.urls.actor("") if listing.author.startswith(inst.urls.base) else None
    if prefix is None or not listing.author.startswith(prefix):
        return None
    return await actor_store.find_by_username(tx, listing.author[len(prefix) :])


async def remove_listing(inst: Instance, admin: LocalActor, listing_id: str) -> Change:
    """An admin removes any of our listings: deleted as by its author (a Tombstone, and the
    author's Delete, announced as theirs would be), whether or not the author is enabled."""
    if not admin.is_admin or admin.disabled:
        raise Forbidden("only an admin can remove another member's listing")
    async with inst.db.transaction() as tx:
        listing = await store.get(tx, listing_id)
        author = None if listing is None else await _author_of(tx, inst, listing)
        if listing is None or not listing.is_local or author is None:
            raise NotFound("no such listing")
        change = await _delete(tx, inst, author, listing)
    inst.wake_delivery.set()
    return change
