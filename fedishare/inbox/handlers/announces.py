"""Announce: a boost of one of our objects is counted (`reactions`); an Announce by an actor
one of ours follows (a peer neighbourhood's Group, say) may bring another server's listing,
which is taken from its origin (`fedishare.listings.ingest`)."""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.core.activitystreams import id_of
from fedishare.inbox.handlers import reactions
from fedishare.inbox.item import InboxItem
from fedishare.listings import ingest
from fedishare.storage.peers import followed_locally


async def on_announce(inst: Instance, item: InboxItem) -> None:
    value = item.activity.get("object")
    target = id_of(value)
    if target is None:
        return
    if inst.urls.is_ours(target):
        await reactions.on_reaction(inst, item)
        return
    if not await followed_locally(inst.db, inst.urls.base, item.actor):
        return  # nobody here asked for this actor's shares
    about = ingest.announced(value)
    listing_id = id_of(about)
    if listing_id is None or inst.urls.is_ours(listing_id):
        return
    if await ingest.worth_fetching(inst, about):
        await ingest.refresh(inst, listing_id)
