"""A member deleting their own account, as Mastodon does: a `Delete` of the actor goes to
every server that knows of them, signed with their key, which is kept for that (the delivery
worker signs each attempt when it is made). What stays is the emptied, disabled row: the
name is never given to anyone else, and the actor's URL answers 410 Gone.

Their listings go first, each deleted as its author would (`fedishare.listings.leaving`,
above this layer, runs both in order).
"""

from __future__ import annotations

from fedishare.accounts.passwords import confirm
from fedishare.context import Instance
from fedishare.core.activitystreams import AS_CONTEXT, PUBLIC
from fedishare.core.errors import Forbidden
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.remote.publish import queue_publication
from fedishare.storage import actors, follows, tokens, web_sessions
from fedishare.storage.actors import LocalActor


def delete_activity(inst: Instance, member: LocalActor) -> JSON:
    aid = actor_id(inst.urls, member)
    return {
        "@context": AS_CONTEXT,
        "id": f"{aid}#delete",  # an actor is deleted once
        "type": "Delete",
        "actor": aid,
        "object": aid,
        "to": [PUBLIC],
    }


async def confirm_deletion(inst: Instance, member: LocalActor, password: str) -> None:
    """Refuse unless an enabled member gave their own password (the form's `password`)."""
    if member.kind != "person" or member.disabled:
        raise Forbidden("only an active member can delete their account")
    await confirm(inst, member, password, "password")


async def delete_account(inst: Instance, member: LocalActor) -> None:
    """Queue the actor's Delete to every inbox that knows of them, forget their follows
    both ways, end their sessions and tokens, and empty and disable the account for good."""
    aid = actor_id(inst.urls, member)
    group = inst.urls.actor(inst.config.community.handle)
    async with inst.db.transaction() as tx:
        inboxes = await actors.inboxes_knowing(tx, aid, group)
        await queue_publication(tx, inst, member, delete_activity(inst, member), inboxes)
        await follows.remove_actor(tx, aid)
        await web_sessions.delete_for_actor(tx, member.id)
        await tokens.revoke_all(tx, member.id)
        await actors.mark_deleted(tx, member.id, inst.clock().timestamp())
    inst.wake_delivery.set()
