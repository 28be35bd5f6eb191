"""Suspending a member (`fedishare.accounts.suspension`) with their listings withdrawn across
the network: each is deleted as its author would delete it (a Delete to their followers and
peers, announced by the community), as when a member leaves. It lives here, above both,
because the account layer sits below the listings."""

from __future__ import annotations

from fedishare.accounts import suspension
from fedishare.context import Instance
from fedishare.core.listing import VISIBILITIES
from fedishare.federation.actor_document import actor_id
from fedishare.listings.service import delete_listing
from fedishare.storage.actors import LocalActor
from fedishare.storage.listing_search import MAX_LIMIT, Query, search


async def suspend(inst: Instance, username: str, reason: str, by: LocalActor) -> int:
    """Suspend the member `username` and delete every listing of theirs; return how many."""
    member = await suspension.suspend(inst, username, reason, by)
    theirs = Query(
        author=actor_id(inst.urls, member),
        origin="local",
        statuses=(),
        visibilities=VISIBILITIES,
        order="newest",
        limit=MAX_LIMIT,
        moderated=False,
    )
    deleted = 0
    while hits := await search(inst.db, theirs):  # each deleted one leaves the search
        for hit in hits:
            await delete_listing(inst, member, hit.listing.id)
            deleted += 1
    return deleted
