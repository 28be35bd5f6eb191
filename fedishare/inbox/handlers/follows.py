"""Follow, and the answers to our own Follows (Accept, Reject); the work is done in
`fedishare.follows`."""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.core.activitystreams import id_of
from fedishare.follows.followers import take_follow
from fedishare.follows.following import take_answer
from fedishare.inbox.item import InboxItem, Rejected
from fedishare.listings.peers import backfill


async def on_follow(inst: Instance, item: InboxItem) -> None:
    follow_id = id_of(item.activity)
    target = id_of(item.activity.get("object"))
    if (
        follow_id is None
        or target is None
        or not await take_follow(inst, item.actor, follow_id, target)
    ):
        raise Rejected("a Follow of none of our actors")


async def on_answer(inst: Instance, item: InboxItem) -> None:
    """A remote actor answers one of our Follows; only the followee may."""
    accepted = item.activity["type"] == "Accept"
    before = await take_answer(inst, item.actor, item.activity.get("object"), accepted=accepted)
    if (
        accepted
        and before is not None
        and before.state == "pending"
        and before.follower == inst.urls.actor(inst.config.community.handle)
    ):
        # A peer just let our community in: take in what it announced while we waited.
        await backfill(inst, before.followee)
