"""Follows of our actors (Follow, and the owner's approval), and answers to our own Follows.

Our answers get ids derived from the Follow they answer, so that running an item twice (after
a crash) publishes each answer once.
"""

from __future__ import annotations

import uuid
from typing import Any

from fedishare.context import Instance
from fedishare.core.types import JSON
from fedishare.federation.activities import respond
from fedishare.federation.actor_document import actor_id
from fedishare.inbox.dispatch import InboxItem, Rejected, handles
from fedishare.inbox.references import id_of, is_ours, local_actor_for
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.publish import publish
from fedishare.storage import follows, outbox
from fedishare.storage.actors import LocalActor


def _now(inst: Instance) -> str:
    return inst.clock().isoformat(timespec="seconds")


async def _answer(inst: Instance, local: LocalActor, follow: JSON, kind: str) -> JSON:
    """Publish an Accept or Reject of `follow`, signed by `local`, to the follower's inbox,
    and return it. Its id derives from the Follow's, so a second run publishes nothing.
    A follower of this instance shares the follow's row: there is nobody to tell."""
    base = inst.urls.base
    answer = respond(base, kind, actor_id(inst.urls, local), follow)
    derived = uuid.uuid5(uuid.NAMESPACE_URL, f"{kind} {follow['id']}")
    answer["id"] = f"{base}/activities/{derived}"
    if is_ours(inst, follow["actor"]):
        return answer
    if await outbox.get_activity(inst.db, answer["id"]) is not None:
        return answer  # already published (this item ran before)
    follower = await get_remote_actor(inst, follow["actor"])
    await publish(inst, local, answer, [follower.inbox])
    return answer


def _follow_of(stored: follows.Follow) -> JSON:
    return {
        "id": stored.activity_id,
        "type": "Follow",
        "actor": stored.follower,
        "object": stored.followee,
    }


@handles("Follow")
async def on_follow(inst: Instance, item: InboxItem) -> None:
    follow_id = id_of(item.activity)
    target = id_of(item.activity.get("object"))
    local = await local_actor_for(inst, target)
    if follow_id is None or target is None or local is None:
        raise Rejected("a Follow of none of our actors")
    follow = {"id": follow_id, "type": "Follow", "actor": item.actor, "object": target}
    if local.kind == "application" or local.disabled:
        await _answer(inst, local, follow, "Reject")
        return
    existing = await follows.find(inst.db, item.actor, target)
    already = existing is not None and existing.state == "accepted"
    state = "pending" if local.manually_approves_followers and not already else "accepted"
    async with inst.db.transaction() as tx:
        await follows.upsert(tx, item.actor, target, follow_id, state, _now(inst))
    if state == "accepted":
        await _answer(inst, local, follow, "Accept")  # a repeated Follow is accepted again


async def approve_follow(inst: Instance, local: LocalActor, follower_id: str) -> JSON | None:
    """Accept a pending follow request of `local`: the Accept sent, or None if there is
    no request."""
    followee = actor_id(inst.urls, local)
    stored = await follows.find(inst.db, follower_id, followee)
    if stored is None or stored.state != "pending":
        return None
    async with inst.db.transaction() as tx:
        await follows.set_state(tx, follower_id, followee, "accepted", _now(inst))
    return await _answer(inst, local, _follow_of(stored), "Accept")


async def reject_follow(inst: Instance, local: LocalActor, follower_id: str) -> JSON | None:
    """Refuse a follow request, or remove an accepted follower: the Reject sent, or None if
    there is neither."""
    followee = actor_id(inst.urls, local)
    stored = await follows.find(inst.db, follower_id, followee)
    if stored is None or stored.state == "rejected":
        return None
    async with inst.db.transaction() as tx:
        await follows.set_state(tx, follower_id, followee, "rejected", _now(inst))
    return await _answer(inst, local, _follow_of(stored), "Reject")


async def _our_follow(inst: Instance, original: Any) -> follows.Follow | None:
    """The follow an Accept/Reject/Undo refers to: by the Follow's id, else actor + object."""
    ref = id_of(original)
    found = None if ref is None else await follows.find_by_activity(inst.db, ref)
    if found is None and isinstance(original, dict) and original.get("type") == "Follow":
        follower, followee = id_of(original.get("actor")), id_of(original.get("object"))
        if follower is not None and followee is not None:
            found = await follows.find(inst.db, follower, followee)
    return found


@handles("Accept", "Reject")
async def on_answer(inst: Instance, item: InboxItem) -> None:
    """A remote actor answers one of our Follows; only the followee may."""
    original = item.activity.get("object")
    if isinstance(original, dict) and original.get("type") not in (None, "Follow"):
        return  # an answer to something other than a Follow
    stored = await _our_follow(inst, original)
    if stored is None or stored.followee != item.actor or not is_ours(inst, stored.follower):
        return
    accepted = item.activity["type"] == "Accept"
    if accepted and stored.state == "rejected":
        return  # a late Accept does not revive a refused follow
    async with inst.db.transaction() as tx:
        state = "accepted" if accepted else "rejected"
        await follows.set_state(tx, stored.follower, stored.followee, state, _now(inst))
    if (
        accepted
        and stored.state == "pending"
        and stored.follower == inst.urls.actor(inst.config.community.handle)
    ):
        # A peer just let our community in: take in what it announced while we waited.
        from fedishare.listings.peers import backfill

        await backfill(inst, stored.followee)


async def undo_follow(inst: Instance, item: InboxItem, original: Any) -> bool:
    """Undo(Follow): the follower stops following; False if not theirs to undo."""
    stored = await _our_follow(inst, original)
    if stored is None or stored.follower != item.actor:
        return False
    async with inst.db.transaction() as tx:
        await follows.remove(tx, stored.follower, stored.followee)
    return True
