"""Our actors following, and unfollowing, other actors, and the answers to our Follows.

A follow is one row of `follows`, seen from both ends; so a follow between two actors of this
instance is recorded directly, with no activity delivered.
"""

from __future__ import annotations

import json
from typing import Any

from fedishare.accounts.members import local_actor_for
from fedishare.context import Instance
from fedishare.core.errors import Forbidden, Unprocessable
from fedishare.core.types import JSON
from fedishare.federation.activities import follow, undo
from fedishare.federation.actor_document import actor_id
from fedishare.federation.errors import FetchError
from fedishare.follows.referenced import now_text, referenced_follow
from fedishare.notifications.record import record
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.publish import queue_publication
from fedishare.storage import account_relations, follows, outbox
from fedishare.storage.actors import LocalActor


class FollowError(Unprocessable):
    """A follow that cannot be made, worded for whoever asked."""


async def _local_state(inst: Instance, local: LocalActor, target_actor_id: str) -> str:
    target = await local_actor_for(inst, target_actor_id)
    if target is None or target.kind == "application" or target.disabled:
        raise FollowError(f"{target_actor_id} cannot be followed")
    if target.id == local.id:
        raise FollowError("an account cannot follow itself")
    existing = await follows.find(inst.db, actor_id(inst.urls, local), target_actor_id)
    if existing is not None and existing.state == "accepted":
        return "accepted"
    return "pending" if target.manually_approves_followers else "accepted"


async def follow_actor(inst: Instance, local: LocalActor, target_actor_id: str) -> JSON:
    """Follow an actor: a remote one is sent a Follow and the follow is pending until its
    Accept arrives (following again sends a new Follow, which Mastodon accepts again).
    Raises FollowError, Forbidden for an account the member blocks (as Mastodon answers),
    or FetchError when a remote actor cannot be fetched."""
    if local.kind == "application":
        raise FollowError("the instance actor does not follow anyone")
    if await account_relations.find_block(inst.db, local.id, target_actor_id) is not None:
        raise Forbidden("You are blocking this account")
    inboxes: list[str] = []
    if inst.urls.is_ours(target_actor_id):
        state = await _local_state(inst, local, target_actor_id)
    else:
        target = await get_remote_actor(inst, target_actor_id)
        target_actor_id, state, inboxes = target.id, "pending", [target.inbox]
    activity = follow(inst.urls.base, actor_id(inst.urls, local), target_actor_id)
    followed = await local_actor_for(inst, target_actor_id)  # one of ours, told here
    async with inst.db.transaction() as tx:
        await follows.upsert(
            tx, activity["actor"], target_actor_id, activity["id"], state, now_text(inst)
        )
        await queue_publication(tx, inst, local, activity, inboxes)
        if followed is not None and followed.kind == "person":
            kind = "follow" if state == "accepted" else "follow_request"
            await record(
                tx,
                recipient_id=followed.id,
                type=kind,
                from_actor=activity["actor"],
                status_id=None,
                at=inst.clock(),
            )
    inst.wake_delivery.set()
    return activity


async def _inboxes(inst: Instance, target_actor_id: str) -> list[str]:
    if inst.urls.is_ours(target_actor_id):
        return []
    try:
        return [(await get_remote_actor(inst, target_actor_id)).inbox]
    except FetchError:
        return []  # gone or unreachable: forget the follow all the same


async def unfollow_actor(inst: Instance, local: LocalActor, target_actor_id: str) -> JSON | None:
    """Publish an Undo embedding our Follow and forget the follow (also a pending one);
    None if there is no follow of `target_actor_id`."""
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
    inboxes = await _inboxes(inst, target_actor_id)
    async with inst.db.transaction() as tx:
        await follows.remove(tx, follower, target_actor_id)
        await queue_publication(tx, inst, local, activity, inboxes)
    inst.wake_delivery.set()
    return activity


async def take_answer(
    inst: Instance, followee: str, original: Any, *, accepted: bool
) -> follows.Follow | None:
    """`followee` accepts or rejects one of our Follows (`original`, its id or the Follow
    embedded); only the followee may. Returns the follow as it was before, if this changed
    it; a late Accept does not revive a refused follow."""
    if isinstance(original, dict) and original.get("type") not in (None, "Follow"):
        return None  # an answer to something other than a Follow
    stored = await referenced_follow(inst, original)
    if stored is None or stored.followee != followee or not inst.urls.is_ours(stored.follower):
        return None
    if accepted and stored.state == "rejected":
        return None
    async with inst.db.transaction() as tx:
        state = "accepted" if accepted else "rejected"
        await follows.set_state(tx, stored.follower, stored.followee, state, now_text(inst))
    return stored
