"""The one path by which a member's plain Note (not a listing) is published, edited and
deleted, whether it came from a Mastodon app (`fedishare.statuses.posting`) or from
client-to-server ActivityPub (`fedishare.outbox.client_posts`).

Each change is stored and its activity queued in ONE transaction, to the author's followers
when the Note addresses them (or Public) and to every other server's actor it addresses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from fedishare.context import Instance
from fedishare.core.activitystreams import AS_CONTEXT, PUBLIC, iso, new_id, parse_iso
from fedishare.core.types import JSON
from fedishare.federation import activities
from fedishare.federation.actor_document import actor_id
from fedishare.federation.errors import FetchError
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.publish import queue_publication
from fedishare.storage import follows
from fedishare.storage import objects as object_store
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Transaction

# Runs inside the transaction that stores the note (notifications of our own members).
AfterStore = Callable[[Transaction, JSON], Awaitable[None]]


async def inboxes_for(inst: Instance, member: LocalActor, note: JSON) -> set[str]:
    """Where a Note of `member`'s goes: their followers' inboxes if it addresses them or
    Public, and the inbox of each other server's actor in `to` and `cc`."""
    me = actor_id(inst.urls, member)
    followers = f"{me}/followers"
    audience = [a for key in ("to", "cc") for a in note.get(key, []) if isinstance(a, str)]
    inboxes: set[str] = set()
    if followers in audience or PUBLIC in audience:
        inboxes.update(await follows.follower_inboxes(inst.db, me))
    for address in dict.fromkeys(audience):
        if address in (PUBLIC, followers) or inst.urls.is_ours(address):
            continue
        try:
            inboxes.add((await get_remote_actor(inst, address)).delivery_inbox)
        except FetchError:  # an unreachable addressee must not stop the post
            continue
    return inboxes


async def publish_note(
    inst: Instance, member: LocalActor, fields: JSON, *, after: AfterStore | None = None
) -> JSON:
    """Give `fields` (content, to, cc, tag...) an id, author and time, store the Note and
    queue its Create; return the Create."""
    me = actor_id(inst.urls, member)
    now = inst.clock()
    note: JSON = {
        **fields,
        "id": new_id(inst.urls.base, "objects"),
        "type": "Note",
        "attributedTo": me,
        "published": iso(now),
    }
    note["url"] = note["id"]
    activity = activities.create(me, note, now)
    inboxes = await inboxes_for(inst, member, note)
    reply_to = note.get("inReplyTo")
    async with inst.db.transaction() as tx:
        await object_store.insert(
            tx,
            note,
            attributed_to=me,
            published=note["published"],
            local_actor_id=member.id,
            in_reply_to=reply_to if isinstance(reply_to, str) else None,
            now=now,
        )
        if after is not None:
            await after(tx, note)
        await queue_publication(tx, inst, member, activity, inboxes)
    inst.wake_delivery.set()
    return activity


def next_updated(previous: str, now: datetime) -> str:
    """An edit's `updated`: now, but at least a second after the last change, since peers
    apply an Update only when `updated` is newer."""
    now = now.replace(microsecond=0)
    last = parse_iso(previous)
    return iso(now if last is None else max(now, last + timedelta(seconds=1)))


async def update_note(inst: Instance, member: LocalActor, note: JSON) -> JSON | None:
    """Store the edited `note` (its `updated` set) and queue its Update to everyone the
    Note went to; None when the Note was deleted meanwhile."""
    activity: JSON = {
        "@context": AS_CONTEXT,
        "id": new_id(inst.urls.base),
        "type": "Update",
        "actor": note["attributedTo"],
        "published": note["updated"],
        "to": note.get("to", []),
        "cc": note.get("cc", []),
        "object": note,
    }
    inboxes = await inboxes_for(inst, member, note)
    async with inst.db.transaction() as tx:
        if not await object_store.replace_document(
            tx, note["id"], note, note["updated"], now=inst.clock()
        ):
            return None
        await queue_publication(tx, inst, member, activity, inboxes)
    inst.wake_delivery.set()
    return activity


async def delete_note(inst: Instance, member: LocalActor, note: JSON) -> JSON | None:
    """Tombstone the Note and queue its Delete to everyone it went to; None when it was
    deleted already."""
    deleted = iso(inst.clock())
    activity: JSON = {
        "@context": AS_CONTEXT,
        "id": new_id(inst.urls.base),
        "type": "Delete",
        "actor": note["attributedTo"],
        "published": deleted,
        "to": note.get("to", []),
        "cc": note.get("cc", []),
        "object": object_store.tombstone(note["id"], "Note", deleted),
    }
    inboxes = await inboxes_for(inst, member, note)
    async with inst.db.transaction() as tx:
        if not await object_store.mark_deleted(tx, note["id"], deleted):
            return None
        await queue_publication(tx, inst, member, activity, inboxes)
    inst.wake_delivery.set()
    return activity
