"""Notifications for what other servers do to our members: a follow or follow request, a
mention or reply (a private response to a listing included), a favourite, a boost.

These handlers run after the ones that take the activity in (the dispatch table lists them
last), so they only read what those stored: the follow's state, the kept object and its
status index row. Recording is idempotent, so an item run twice notifies once.
"""

from __future__ import annotations

from fedishare.accounts.members import local_actor_for
from fedishare.context import Instance
from fedishare.core.activitystreams import id_of, ids_of
from fedishare.core.posts import may_boost
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.inbox.item import InboxItem
from fedishare.notifications.record import record
from fedishare.storage import actors, follows, listings, objects, statuses
from fedishare.storage.actors import LocalActor


async def _member(inst: Instance, uri: str | None) -> LocalActor | None:
    """The member (a person, not disabled) whose actor id `uri` is."""
    if uri is None or not inst.urls.is_ours(uri):
        return None
    actor = await local_actor_for(inst, uri)
    return actor if actor is not None and actor.kind == "person" and not actor.disabled else None


async def _owner(inst: Instance, object_id: str) -> LocalActor | None:
    """The member who wrote one of our statuses, notes or listings."""
    row = await statuses.by_uri(inst.db, object_id)
    if row is not None and row.local_actor_id is not None:
        actor = await actors.find_by_id(inst.db, row.local_actor_id)
        return actor if actor is not None and actor.kind == "person" else None
    stored = await objects.get(inst.db, object_id)
    if stored is not None:
        return await _member(inst, stored.attributed_to) if stored.is_local else None
    listing = await listings.get(inst.db, object_id)
    return await _member(inst, listing.author) if listing is not None else None


async def _notify(
    inst: Instance, members: list[LocalActor], kind: str, sender: str, status_id: int | None
) -> None:
    # Nobody hears of their own doings; with nobody left, no transaction is begun.
    recipients = [
        m for m in {m.id: m for m in members}.values() if actor_id(inst.urls, m) != sender
    ]
    if not recipients:
        return
    at = inst.clock()
    async with inst.db.transaction() as tx:
        for member in recipients:
            await record(
                tx,
                recipient_id=member.id,
                type=kind,
                from_actor=sender,
                status_id=status_id,
                at=at,
            )


async def on_follow(inst: Instance, item: InboxItem) -> None:
    """A follow of a member (`follows.on_follow` took it): a follow request while it waits
    for their approval, else a follow."""
    target = id_of(item.activity.get("object"))
    member = await _member(inst, target)
    if member is None or target is None:
        return
    found = await follows.find(inst.db, item.actor, target)
    if found is None or found.state == "rejected":
        return
    kind = "follow_request" if found.state == "pending" else "follow"
    await _notify(inst, [member], kind, item.actor, None)


def _mentioned(doc: JSON) -> list[str]:
    """Whom a post mentions (Mention tags) or is addressed to (`to`, `cc`)."""
    found = ids_of(doc.get("to")) + ids_of(doc.get("cc"))
    tags = doc.get("tag")
    for tag in tags if isinstance(tags, list) else [tags]:
        if isinstance(tag, dict) and tag.get("type") == "Mention":
            href = id_of(tag.get("href"))
            if href is not None:
                found.append(href)
    return list(dict.fromkeys(found))


async def on_create(inst: Instance, item: InboxItem) -> None:
    """A kept post that mentions a member, is addressed to them, or publicly replies to
    something of theirs (a status, a listing, a note about a listing): a mention. A
    followers-only or direct reply that does not address the member is not theirs to see,
    so it tells them nothing (as in Mastodon, where only mentions notify)."""
    object_id = id_of(item.activity.get("object"))
    if object_id is None or inst.urls.is_ours(object_id):
        return
    stored = await objects.get(inst.db, object_id)
    if stored is None or stored.is_local or stored.deleted or stored.attributed_to != item.actor:
        return  # not kept by the handlers before (nothing of ours), or not theirs
    row = await statuses.by_uri(inst.db, object_id)
    if row is None:
        return
    members = [m for uri in _mentioned(stored.document) if (m := await _member(inst, uri))]
    if stored.in_reply_to is not None and row.visibility in ("public", "unlisted"):
        owner = await _owner(inst, stored.in_reply_to)
        if owner is not None:
            members.append(owner)
    await _notify(inst, members, "mention", item.actor, row.id)


async def on_reaction(inst: Instance, item: InboxItem) -> None:
    """A Like of a member's status or listing (a favourite), or an Announce of one (a
    reblog)."""
    target = id_of(item.activity.get("object"))
    if target is None or not inst.urls.is_ours(target):
        return
    member = await _owner(inst, target)
    row = await statuses.by_uri(inst.db, target)
    if member is None or row is None:
        return
    kind = "favourite" if item.activity.get("type") == "Like" else "reblog"
    if kind == "reblog" and not may_boost(row.visibility, row.author, item.actor):
        return  # ignored, as `announces.on_announce` ignores it
    await _notify(inst, [member], kind, item.actor, row.id)
