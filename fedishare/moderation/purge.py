"""Purging a remote domain: everything stored from it removed, as Mastodon's `tootctl domains
purge` does.

Each actor of the domain is forgotten as if it had sent a Delete of itself
(fedishare.inbox.handlers.actors): its follows both ways (so a peer on the domain stops being
one), its reactions, its listings and posts (Tombstones, so that their ids stay taken) and its
cached document and key. One actor is one transaction, so a purge of a large domain never holds
the writer for long, and one cut short can simply be run again.

A purge does not block the domain: its servers may send new posts afterwards. Blocking it
(fedishare.moderation.domain_blocks) first keeps them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.listing import whole_seconds
from fedishare.moderation.domain_blocks import normal_domain
from fedishare.remote.actors import forget_key
from fedishare.storage import domain_purge, follows, listings, objects, reactions, remote_actors


@dataclass
class Purged:
    actors: int = 0
    follows: int = 0
    listings: int = 0
    posts: int = 0


async def actors_on(inst: Instance, domain: str) -> tuple[str, list[str]]:
    """The normal form of `domain` (Invalid if malformed or ours) and the actors stored from
    it; NotFound if there are none."""
    domain = normal_domain(domain, inst)
    found = await domain_purge.actors_on(inst.db, domain)
    if not found:
        raise NotFound(f"domain: nothing from {domain} is stored here")
    return domain, found


async def purge(
    inst: Instance, actors: list[str], on_actor: Callable[[int, Purged], None] | None = None
) -> Purged:
    """Forget each of `actors` (from `actors_on`); `on_actor(done, totals)` after each."""
    totals = Purged()
    for done, actor in enumerate(actors, 1):
        now = inst.clock()
        async with inst.db.transaction() as tx:
            totals.follows += await follows.remove_actor(tx, actor)
            await reactions.remove_actor(tx, actor)
            totals.listings += await listings.delete_by_author(tx, actor, whole_seconds(now))
            totals.posts += await objects.mark_author_deleted(
                tx, actor, now.isoformat(timespec="seconds")
            )
            await remote_actors.delete(tx, actor)
        await forget_key(inst, actor)
        totals.actors = done
        if on_actor is not None:
            on_actor(done, totals)
    return totals
