"""Others following our actors: a Follow taken in, the owner's approval or refusal, an Undo.

Our answers get ids derived from the Follow they answer, so that taking a Follow twice (an
inbox item run again after a crash) publishes each answer once.
"""

from __future__ import annotations

import uuid
from typing import Any

from fedishare.accounts.members import local_actor_for
from fedishare.context import Instance
from fedishare.core.types import JSON
from fedishare.federation.activities import respond
from fedishare.federation.actor_document import actor_id
from fedishare.follows.referenced import now_text, referenced_follow
from fedishare.notifications.follow_requests import request_settled
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.publish import publish
from fedishare.storage import account_relations, follows, outbox
from fedishare.storage.actors import LocalActor


async def _answer(inst: Instance, local: LocalActor, follow: JSON, kind: str) -> JSON:
    """Publish an Accept or Reject of `follow`, signed by `local`, to the follower's inbox,
    and return it. Its id derives from the Follow's, so a second run publishes nothing.
    A follower of this instance shares the follow's row: there is nobody to tell."""
    base = inst.urls.base
    answer = respond(base, kind, actor_id(inst.urls, local), follow)
    derived = uuid.uuid5(uuid.NAMESPACE_URL, f"{kind} {follow['id']}")
    answer["id"] = f"{base}/activities/{derived}"
    if inst.urls.is_ours(follow["actor"]):
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


async def take_follow(inst: Instance, follower: str, follow_id: str, target: str) -> bool:
    """`follower` asks to follow our actor `target`: accepted at once, kept pending for a
    locked account, refused for the instance actor, a disabled account or a member who
    blocks the follower. False if
    `target` is none of our actors."""
    local = await local_actor_for(inst, target)
    if local is None:
        return False
    follow = {"id": follow_id, "type": "Follow", "actor": follower, "object": target}
    if (
        local.kind == "application"
        or local.disabled
        or await account_relations.find_block(inst.db, local.id, follower) is not None
    ):
        await _answer(inst, local, follow, "Reject")
        return True
    existing = await follows.find(inst.db, follower, target)
    already = existing is not None and existing.state == "accepted"
    state = "pending" if local.manually_approves_followers and not already else "accepted"
    async with inst.db.transaction() as tx:
        await follows.upsert(tx, follower, target, follow_id, state, now_text(inst))
    if state == "accepted":
        await _answer(inst, local, follow, "Accept")  # a repeated Follow is accepted again
    return True


async def approve_follow(inst: Instance, local: LocalActor, follower_id: str) -> JSON | None:
    """Accept a pending follow request of `local`: the Accept sent, or None if there is
    no request."""
    followee = actor_id(inst.urls, local)
    stored = await follows.find(inst.db, follower_id, followee)
    if stored is None or stored.state != "pending":
        return None
    async with inst.db.transaction() as tx:
        await follows.set_state(tx, follower_id, followee, "accepted", now_text(inst))
        await request_settled(tx, local.id, follower_id)
    return await _answer(inst, local, _follow_of(stored), "Accept")


async def reject_follow(inst: Instance, local: LocalActor, follower_id: str) -> JSON | None:
    """Refuse a follow request, or remove an accepted follower: the Reject sent, or None if
    there is neither."""
    followee = actor_id(inst.urls, local)
    stored = await follows.find(inst.db, follower_id, followee)
    if stored is None or stored.state == "rejected":
        return None
    async with inst.db.transaction() as tx:
        await follows.set_state(tx, follower_id, followee, "rejected", now_text(inst))
        await request_settled(tx, local.id, follower_id)
    return await _answer(inst, local, _follow_of(stored), "Reject")


async def undo_follow(inst: Instance, follower: str, original: Any) -> bool:
    """Undo(Follow): `follower` stops following; False if the follow is not theirs."""
    stored = await referenced_follow(inst, original)
    if stored is None or stored.follower != follower:
        return False
    local = await local_actor_for(inst, stored.followee)
    async with inst.db.transaction() as tx:
        await follows.remove(tx, stored.follower, stored.followee)
        if local is not None and stored.state == "pending":
            await request_settled(tx, local.id, stored.follower)
    return True
