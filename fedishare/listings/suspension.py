"""Suspending a member (`fedishare.accounts.suspension`) with their listings withdrawn across
the network: each is deleted as its author would delete it (a Delete to their followers and
peers, announced by the community), as when a member leaves. It lives here, above both,
because the account layer sits below the listings.

The suspension is committed first, then the listings are deleted one transaction each, so a
crash midway leaves some live. The withdrawal is therefore re-runnable: suspending the member
again withdraws whatever is still live (and says how many), and `finish_withdrawals`, run at
every start of an instance, does so for every suspended member.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from fedishare.accounts import suspension
from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.listing import VISIBILITIES
from fedishare.federation.actor_document import actor_id
from fedishare.listings.service import delete_listing
from fedishare.storage.actors import LocalActor
from fedishare.storage.listing_search import MAX_LIMIT, Query, search

log = logging.getLogger(__name__)


async def suspend(inst: Instance, username: str, reason: str, by: LocalActor) -> int:
    """Suspend the member `username` (if not suspended already) and delete every listing of
    theirs still live; return how many were deleted now."""
    member, _new = await suspension.suspend(inst, username, reason, by)
    return await withdraw(inst, member)


async def withdraw(inst: Instance, member: LocalActor) -> int:
    """Delete every live listing of `member`; return how many. Running it again (after a
    crash, or in another process at the same time) deletes only what is left."""
    theirs = Query(
        author=actor_id(inst.urls, member),
        origin="local",
        statuses=(),
        visibilities=VISIBILITIES,
        order="newest",
        limit=MAX_LIMIT,
        moderated=False,
    )
    # Deleted as by their author, whom `delete_listing` would refuse as disabled now.
    author = replace(member, disabled=False)
    deleted, tried = 0, set[str]()
    # Each deleted one leaves the search; one found again was deleted by someone else
    # meanwhile (NotFound) and still indexed: the pass ends rather than spin on it.
    while hits := [h for h in await search(inst.db, theirs) if h.listing.id not in tried]:
        for hit in hits:
            tried.add(hit.listing.id)
            try:
                await delete_listing(inst, author, hit.listing.id)
            except NotFound:  # deleted meanwhile by another process's withdrawal
                continue
            deleted += 1
    return deleted


async def finish_withdrawals(inst: Instance) -> int:
    """Withdraw what a suspension interrupted by a crash or a restart left live; return how
    many listings that deleted (none, and one query per suspended member, as a rule)."""
    total = 0
    for member in await suspension.suspended_members(inst):
        if deleted := await withdraw(inst, member):
            log.info(
                "withdrew %d listing(s) left live by @%s's suspension", deleted, member.username
            )
            total += deleted
    return total
