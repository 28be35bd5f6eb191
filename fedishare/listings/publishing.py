"""Queueing a listing change for delivery, inside the transaction that stores it.

The author's Create, Update or Delete goes to the author's followers. The community Group
then announces it to the Group's followers (other neighbourhoods, Mastodon users): a new
listing as the **object id** (a boost, as Lemmy and Guppe do), an Update or a Delete as the
embedded activity (FEP-1b12), so that peers following only the Group learn of the change;
they take nothing from it but the listing's id, and fetch the listing from its origin.
Mastodon ignores Announces of activities, which is fine: it follows the author's Update.

Followers-only listings are not announced: they go to the author's followers' inboxes only,
addressed to the followers collection (Mastodon refuses boosts of them, and a boost would
reach the Group's followers). The servers of those followers fetch them from their origin
with a signed GET (`fedishare.http.signed_fetch`); everyone else is answered 404. Only a
change of one is announced, and then by reference (its activity with the listing's id, no
content): a peer that kept an earlier, public version looks again, is answered 404 and
drops it, unless it hosts a follower of the author.

The Announce id is derived from (listing, time of the change), so queueing the same change
twice (a retried expiry, say) publishes it once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fedishare.context import Instance
from fedishare.core.activitystreams import PUBLIC, iso, parse_iso
from fedishare.core.listing import Listing
from fedishare.core.posts import visibility_of
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.listings.vocabulary import LISTING_CONTEXT
from fedishare.remote.publish import queue_publication
from fedishare.storage import actors, follows, statuses
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Transaction


def announce_id(base: str, listing_id: str, when: datetime) -> str:
    derived = uuid.uuid5(uuid.NAMESPACE_URL, f"Announce {listing_id} {iso(when)}")
    return f"{base}/activities/{derived}"


def change_time(listing: Listing, activity: JSON) -> datetime:
    """When the change happened: publication for a Create, the new `updated` for an
    Update, the Tombstone's `deleted` for a Delete."""
    if activity["type"] == "Create":
        return listing.published
    if activity["type"] == "Delete":
        deleted = parse_iso(activity["object"]["deleted"])
        return listing.updated if deleted is None else deleted
    return listing.updated


def _without_context(doc: JSON) -> JSON:
    return {k: v for k, v in doc.items() if k != "@context"}


def announce(base: str, group_id: str, listing: Listing, activity: JSON) -> JSON | None:
    """The Group's Announce of `activity` (about `listing`), or None for the Create of a
    followers-only listing."""
    followers = f"{group_id}/followers"
    to, cc = ([PUBLIC], [followers]) if listing.visibility == "public" else ([followers], [PUBLIC])
    when = change_time(listing, activity)
    if listing.visibility == "followers":
        if activity["type"] == "Create":
            return None
        to, cc = [followers], []
        announced: str | JSON = {
            "id": activity["id"],
            "type": activity["type"],
            "actor": activity["actor"],
            "object": listing.id,
        }
    elif activity["type"] == "Create":
        announced = listing.id
    else:
        announced = _without_context(activity)
        if isinstance(announced.get("object"), dict):
            announced["object"] = _without_context(announced["object"])
    return {
        "@context": LISTING_CONTEXT,
        "id": announce_id(base, listing.id, when),
        "type": "Announce",
        "actor": group_id,
        "published": iso(when),
        "to": to,
        "cc": cc,
        "object": announced,
    }


async def _published(tx: Transaction, activity_id: str) -> bool:
    row = await tx.fetch_one(
        "SELECT 1 FROM outbox_activities WHERE activity_id = ?", (activity_id,)
    )
    return row is not None


async def queue_change(
    tx: Transaction, inst: Instance, sender: LocalActor, listing: Listing, activity: JSON
) -> None:
    """Inside the caller's transaction: queue `activity` (by the listing's author `sender`)
    to the author's followers and the Group's Announce of it to the Group's followers.
    The caller sets `inst.wake_delivery` after the commit."""
    if not await _published(tx, activity["id"]):
        inboxes = await follows.follower_inboxes(tx, listing.author)
        await queue_publication(tx, inst, sender, activity, inboxes)
    group = await actors.find_by_kind(tx, "group")
    if group is None or group.disabled:
        return
    group_id = actor_id(inst.urls, group)
    shared = announce(inst.urls.base, group_id, listing, activity)
    if shared is None or await _published(tx, shared["id"]):
        return
    await queue_publication(tx, inst, group, shared, await follows.follower_inboxes(tx, group_id))
    if activity["type"] == "Create":
        # The boost shows in the home timelines of members who follow the community.
        listed = await statuses.by_uri(tx, listing.id)
        if listed is not None:
            await statuses.index_reblog(
                tx,
                uri=shared["id"],
                author=group_id,
                local_actor_id=group.id,
                reblog_of=listed.id,
                published=shared["published"],
                visibility=visibility_of(shared),
                now=inst.clock(),
            )
