"""A member leaving: every listing of theirs deleted as they would delete it themselves (a
Delete to their followers, announced by the community), then the account itself
(`fedishare.accounts.deletion`: the actor's Delete, sessions and tokens ended). It lives
here, above both, because the account layer sits below the listings."""

from __future__ import annotations

from fedishare.accounts.deletion import confirm_deletion, delete_account
from fedishare.context import Instance
from fedishare.core.listing import VISIBILITIES
from fedishare.federation.actor_document import actor_id
from fedishare.listings.service import delete_listing
from fedishare.storage.actors import LocalActor
from fedishare.storage.listing_search import MAX_LIMIT, Query, search


async def leave(inst: Instance, member: LocalActor, password: str) -> int:
    """Delete the account of `member`, who confirms with their password (Invalid naming
    `password` if wrong); returns how many listings were deleted with it."""
    await confirm_deletion(inst, member, password)
    theirs = Query(
        author=actor_id(inst.urls, member),
        origin="local",
        statuses=(),
        visibilities=VISIBILITIES,
        order="newest",
        limit=MAX_LIMIT,
    )
    deleted = 0
    while hits := await search(inst.db, theirs):  # each deleted one leaves the search
        for hit in hits:
            await delete_listing(inst, member, hit.listing.id)
            deleted += 1
    await delete_account(inst, member)
    return deleted
