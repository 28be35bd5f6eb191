"""Announce: a boost of one of our objects is counted (`reactions`); an Announce by an actor
one of ours follows (a peer neighbourhood's Group, a person) may bring another server's
listing, which is taken from its origin (`fedishare.listings.ingest`), or a post, fetched
from its origin and kept. Such a boost is indexed as a status of the booster
(`fedishare.storage.statuses`), so that the home timelines of those who follow them show
it, as Mastodon does; so is a boost of ours by someone followed here.

Mastodon ignores Announces of activities (FEP-1b12's Create, Update, Delete), and so do the
timelines: those only tell us which listing to look at again.
"""

from __future__ import annotations

from typing import Any

from fedishare.context import Instance
from fedishare.core.activitystreams import id_of, iso
from fedishare.core.posts import may_boost, visibility_of
from fedishare.inbox.handlers import reactions
from fedishare.inbox.handlers._origin import author_of, trusted_object
from fedishare.inbox.handlers.replies import KEPT_TYPES
from fedishare.inbox.item import InboxItem
from fedishare.listings import ingest
from fedishare.statuses.keeping import keep_post
from fedishare.storage import remote_actors, statuses
from fedishare.storage.peers import followed_locally


async def on_announce(inst: Instance, item: InboxItem) -> None:
    value = item.activity.get("object")
    target = id_of(value)
    if target is None:
        return
    followed = await followed_locally(inst.db, inst.urls.base, item.actor)
    if inst.urls.is_ours(target):
        if not await boostable(inst, item.actor, target):
            return  # as Mastodon: a boost of a followers-only or direct status is ignored
        await reactions.on_reaction(inst, item)
        if followed:
            await _index_boost(inst, item, target)
        return
    if not followed:
        return  # nobody here asked for this actor's shares
    about = ingest.announced(value)
    listing_id = id_of(about)
    if listing_id is None or inst.urls.is_ours(listing_id):
        return
    outcome = None
    if await ingest.worth_fetching(inst, about):
        outcome = await ingest.refresh(inst, listing_id)
    if about is not value:
        return  # an Announce of an activity: not a boost
    if outcome is not ingest.Outcome.STORED and await statuses.by_uri(inst.db, target) is None:
        await _keep_post(inst, item, value)
    await _index_boost(inst, item, target)


async def boostable(inst: Instance, actor: str, target: str) -> bool:
    """Whether `actor` may boost our `target` (not one we index as followers-only or
    direct); what we do not index as a status (yet) is left to the counting."""
    row = await statuses.by_uri(inst.db, target)
    return row is None or may_boost(row.visibility, row.author, actor)


async def _keep_post(inst: Instance, item: InboxItem, value: Any) -> None:
    """Keep a post (not a listing) that a followed actor boosted, as its origin has it."""
    doc = await trusted_object(inst, item, value, any_origin=True)
    author = None if doc is None else author_of(doc)
    if doc is None or author is None or doc.get("type") not in KEPT_TYPES:
        return
    await keep_post(inst, doc, author)


async def _index_boost(inst: Instance, item: InboxItem, target: str) -> None:
    boost_id = id_of(item.activity)
    original = await statuses.by_uri(inst.db, target)
    if boost_id is None or original is None or inst.urls.is_ours(boost_id):
        return
    published = item.activity.get("published")
    if not isinstance(published, str):
        published = iso(inst.clock())
    booster = await remote_actors.get(inst.db, item.actor)
    followers = None if booster is None else booster.followers
    async with inst.db.transaction() as tx:
        await statuses.index_reblog(
            tx,
            uri=boost_id,
            author=item.actor,
            reblog_of=original.id,
            published=published,
            visibility=visibility_of(item.activity, followers),
            now=inst.clock(),
        )


async def forget_boost(inst: Instance, item: InboxItem, original: Any) -> bool:
    """Undo(Announce): the boost leaves the timelines; False if there was none of theirs."""
    boost_id = id_of(original)
    if boost_id is None:
        return False
    async with inst.db.transaction() as tx:
        return await statuses.undo_reblog(tx, boost_id, item.actor)
