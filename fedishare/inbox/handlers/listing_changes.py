"""Create, Update and Delete as they concern other servers' listings. The dispatch table
runs them after the handlers for posts and actors (`replies`, `changes`).

A followed author's new listing is taken in; an Update or Delete of a listing we keep makes
us look again at its origin; an actor that is deleted takes its listings along. The message
only names the listing: what we store is what its origin serves (`fedishare.listings.ingest`).
"""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.core.activitystreams import ACTOR_TYPES, id_of, same_host
from fedishare.inbox.item import InboxItem
from fedishare.listings import ingest
from fedishare.storage.peers import followed_locally


async def _take_in(inst: Instance, item: InboxItem, *, new: bool) -> None:
    """Look at the origin of the listing `item` is about, when it may be one we want: a new
    one by an author we follow, or a change of one we keep."""
    value = item.activity.get("object")
    listing_id = id_of(value)
    if listing_id is None or inst.urls.is_ours(listing_id) or not same_host(listing_id, item.actor):
        return  # an author speaks only of objects on their own server
    if not await ingest.is_kept(inst, listing_id):
        if not new or not await followed_locally(inst.db, inst.urls.base, item.actor):
            return
        if not await ingest.worth_fetching(inst, value):
            return
    await ingest.refresh(inst, listing_id)


async def on_create(inst: Instance, item: InboxItem) -> None:
    await _take_in(inst, item, new=True)


async def on_update(inst: Instance, item: InboxItem) -> None:
    value = item.activity.get("object")
    if id_of(value) != item.actor and not (
        isinstance(value, dict) and value.get("type") in ACTOR_TYPES
    ):
        # A listing seen before only through a Group may be new to us here: also `new`.
        await _take_in(inst, item, new=True)


async def on_delete(inst: Instance, item: InboxItem) -> None:
    if id_of(item.activity.get("object")) == item.actor:
        await ingest.forget_author(inst, item.actor)
    else:
        await _take_in(inst, item, new=False)
