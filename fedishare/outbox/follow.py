"""Our actors following, and unfollowing, actors of other servers."""

from __future__ import annotations

import json

from fedishare.context import Instance
from fedishare.federation.actor_document import actor_id
from fedishare.federation.remote_actors import get_remote_actor
from fedishare.outbox.activities import follow, undo
from fedishare.outbox.publish import queue_publication
from fedishare.storage import follows, outbox
from fedishare.storage.actors import LocalActor
from fedishare.types import JSON


class FollowError(Exception):
    """A follow that cannot be made or undone, worded for whoever asked."""


def _now(inst: Instance) -> str:
    return inst.clock().isoformat(timespec="seconds")


async def follow_actor(inst: Instance, local: LocalActor, target_actor_id: str) -> JSON:
    """Ask to follow a remote actor: the follow is pending until its Accept arrives. Following
    again sends a new Follow (Mastodon answers it with a new Accept)."""
    if target_actor_id.startswith(inst.urls.base + "/"):
        raise FollowError("following actors of this instance is not supported")
    if local.kind == "application":
        raise FollowError("the instance actor does not follow anyone")
    target = await get_remote_actor(inst, target_actor_id)
    activity = follow(inst.urls.base, actor_id(inst.urls, local), target.id)
    async with inst.db.transaction() as tx:
        await follows.upsert(
            tx, activity["actor"], target.id, activity["id"], "pending", _now(inst)
        )
        await queue_publication(tx, inst, local, activity, [target.inbox])
    inst.wake_delivery.set()
    return activity


async def unfollow_actor(inst: Instance, local: LocalActor, target_actor_id: str) -> JSON | None:
    """Publish an Undo embedding our Follow and forget the follow; None if we do not follow
    (nor asked to follow) `target_actor_id`."""
    follower = actor_id(inst.urls, local)
    stored = await follows.find(inst.db, follower, target_actor_id)
    if stored is None:
        return None
    sent = await outbox.get_activity(inst.db, stored.activity_id)
    original: JSON = (
        json.loads(sent["document"])
        if sent is not None
        else {
            "id": stored.activity_id,
            "type": "Follow",
            "actor": follower,
            "object": stored.followee,
        }
    )
    activity = undo(inst.urls.base, follower, original)
    target = await get_remote_actor(inst, target_actor_id)
    async with inst.db.transaction() as tx:
        await follows.remove(tx, follower, target_actor_id)
        await queue_publication(tx, inst, local, activity, [target.inbox])
    inst.wake_delivery.set()
    return activity
