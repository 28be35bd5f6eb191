"""A member blocking and muting other accounts, as Mastodon does it.

A block ends the follows between the two accounts both ways (our Follow undone, theirs
refused) and tells the blocked account's server with a `Block`, so that it can hide the
member from them; unblocking sends `Undo(Block)`. A mute is never told to anyone.

Follows are ended here, on the follows table, rather than through `fedishare.follows`
(a layer above accounts): every activity goes out in the one transaction of the block.
"""

from __future__ import annotations

import json
from datetime import timedelta

from fedishare.context import Instance
from fedishare.core.errors import Unprocessable
from fedishare.core.types import JSON
from fedishare.federation import activities
from fedishare.federation.activities import respond, undo
from fedishare.federation.actor_document import actor_id
from fedishare.federation.errors import FetchError
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.publish import queue_publication
from fedishare.storage import account_relations as store
from fedishare.storage import follows, outbox
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Transaction


async def _inbox(inst: Instance, target: str) -> str | None:
    """The target's own inbox (a Block is for them alone); None for ours or one gone."""
    if inst.urls.is_ours(target):
        return None
    try:
        return (await get_remote_actor(inst, target)).inbox
    except FetchError:
        return None


async def _sent(inst: Instance, activity_id: str, fallback: JSON) -> JSON:
    """An activity we published, as we sent it (Undo and Reject embed it)."""
    row = await outbox.get_activity(inst.db, activity_id)
    return fallback if row is None else dict(json.loads(row["document"]))


def _check(inst: Instance, member: LocalActor, target: str) -> str:
    me = actor_id(inst.urls, member)
    if target == me:
        raise Unprocessable("an account cannot block or mute itself")
    return me


async def _end_follows(
    tx: Transaction, inst: Instance, member: LocalActor, me: str, target: str, inbox: str | None
) -> None:
    """Undo the member's follow of `target` and refuse `target`'s of the member."""
    base = inst.urls.base
    ours = await follows.find(tx, me, target)
    if ours is not None:
        original = {"id": ours.activity_id, "type": "Follow", "actor": me, "object": target}
        sent = await _sent(inst, ours.activity_id, original)
        await follows.remove(tx, me, target)
        await queue_publication(tx, inst, member, undo(base, me, sent), [inbox] if inbox else [])
    theirs = await follows.find(tx, target, me)
    if theirs is not None:
        follow = {"id": theirs.activity_id, "type": "Follow", "actor": target, "object": me}
        await follows.remove(tx, target, me)
        if inbox is not None:
            await queue_publication(tx, inst, member, respond(base, "Reject", me, follow), [inbox])


async def block(inst: Instance, member: LocalActor, target: str) -> None:
    """Block `target` (an actor URI): follows end both ways and a Block goes to its inbox.
    Blocking again changes nothing."""
    me = _check(inst, member, target)
    if await store.find_block(inst.db, member.id, target) is not None:
        return
    inbox = await _inbox(inst, target)
    activity = activities.block(inst.urls.base, me, target)
    async with inst.db.transaction() as tx:
        await _end_follows(tx, inst, member, me, target, inbox)
        await store.add_block(tx, member.id, target, activity["id"], inst.clock().timestamp())
        await queue_publication(tx, inst, member, activity, [inbox] if inbox else [])
    inst.wake_delivery.set()


async def unblock(inst: Instance, member: LocalActor, target: str) -> None:
    """Lift a block; `target`'s server is sent Undo(Block). Nothing if there was none."""
    me = actor_id(inst.urls, member)
    inbox = await _inbox(inst, target)
    async with inst.db.transaction() as tx:
        found = await store.remove_block(tx, member.id, target)
        if found is None:
            return
        original = {"id": found.activity_id, "type": "Block", "actor": me, "object": target}
        activity = undo(inst.urls.base, me, original)
        await queue_publication(tx, inst, member, activity, [inbox] if inbox else [])
    inst.wake_delivery.set()


MAX_MUTE = timedelta(days=365)


async def mute(
    inst: Instance,
    member: LocalActor,
    target: str,
    *,
    notifications: bool = True,
    duration: int = 0,
) -> None:
    """Hide `target`'s statuses (and, with `notifications`, its notifications) from the
    member, for `duration` seconds (at most a year: longer is taken as a year, where a
    date far enough would not even be a date) or, with 0, until unmuted. Nobody else is
    told."""
    _check(inst, member, target)
    if duration < 0:
        raise Unprocessable("duration: a number of seconds, or 0 for ever")
    now = inst.clock()
    seconds = min(duration, int(MAX_MUTE.total_seconds()))
    expires = (now + timedelta(seconds=seconds)).timestamp() if duration else None
    async with inst.db.transaction() as tx:
        await store.add_mute(
            tx,
            member.id,
            target,
            notifications=notifications,
            expires_at=expires,
            now=now.timestamp(),
        )


async def unmute(inst: Instance, member: LocalActor, target: str) -> None:
    async with inst.db.transaction() as tx:
        await store.remove_mute(tx, member.id, target)
