"""What a member does to a status from an app: favourite, boost (reblog), bookmark, and
their undos.

A favourite is a row of `reactions` (actor = the member) and a `Like` to the author's inbox;
a boost is a `reactions` row too, an `Announce` to the member's followers and the author,
and a status of its own in the index (kind 'reblog'). The undos send an `Undo` embedding
the original activity, as Mastodon requires. Our own authors get no delivery: their count
and notification are written here. Bookmarks stay on this server. Each acts only on a
status the member can see (`fedishare.statuses.visibility`); any other is "not found".
"""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.core.activitystreams import PUBLIC, iso
from fedishare.core.errors import Forbidden, NotFound, Unprocessable
from fedishare.core.types import JSON
from fedishare.federation import activities
from fedishare.federation.actor_document import actor_id
from fedishare.federation.errors import FetchError
from fedishare.notifications.record import record
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.publish import queue_publication
from fedishare.statuses.visibility import can_boost, visible
from fedishare.storage import bookmarks, follows, reactions
from fedishare.storage import statuses as status_index
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Transaction
from fedishare.storage.reactions import Reaction
from fedishare.storage.statuses import StatusRow


def _check(member: LocalActor) -> None:
    if member.kind != "person" or member.disabled:
        raise Forbidden("only an active member can do this")


async def target(inst: Instance, member: LocalActor, status_id: int) -> StatusRow:
    """The status acted on, which the member must be able to see (404 otherwise, as if it
    did not exist): a boost stands for the status it boosts, as in Mastodon."""
    row = await visible(inst, member, status_id)
    if row.reblog_of is not None:
        original = await status_index.get(inst.db, row.reblog_of)
        if original is None:
            raise NotFound("Record not found")
        row = original
    return row


async def _author_inbox(inst: Instance, row: StatusRow) -> list[str]:
    """The remote author's inbox; none for ours (or an author we cannot reach now)."""
    if row.local_actor_id is not None or inst.urls.is_ours(row.author):
        return []
    try:
        return [(await get_remote_actor(inst, row.author)).delivery_inbox]
    except FetchError:
        return []


async def _notify(
    tx: Transaction, inst: Instance, member: LocalActor, row: StatusRow, kind: str
) -> None:
    if row.local_actor_id is not None and row.local_actor_id != member.id:
        await record(
            tx,
            recipient_id=row.local_actor_id,
            type=kind,
            from_actor=actor_id(inst.urls, member),
            status_id=row.id,
            at=inst.clock(),
        )


def _embedded(reaction: Reaction) -> JSON:
    return {
        "id": reaction.activity_id,
        "type": reaction.type,
        "actor": reaction.actor,
        "object": reaction.object_id,
    }


async def _mine(
    inst: Instance, member: LocalActor, status_id: int, kind: str
) -> tuple[StatusRow, str, Reaction | None]:
    """The status acted on, the member's URI and the member's `kind` reaction to it."""
    _check(member)
    row = await target(inst, member, status_id)
    me = actor_id(inst.urls, member)
    return row, me, await reactions.find(inst.db, kind, me, row.uri)


async def _boost_inboxes(inst: Instance, me: str, row: StatusRow) -> set[str]:
    """A boost (and its undo) goes to the member's followers and the author."""
    return set(await follows.follower_inboxes(inst.db, me)) | set(await _author_inbox(inst, row))


async def favourite(inst: Instance, member: LocalActor, status_id: int) -> StatusRow:
    row, me, found = await _mine(inst, member, status_id, "Like")
    if found is not None:
        return row
    like = activities.like(inst.urls.base, me, row.uri, row.author)
    inboxes = await _author_inbox(inst, row)
    async with inst.db.transaction() as tx:
        now = iso(inst.clock())
        if await reactions.add(tx, like["id"], "Like", me, row.uri, now):
            await _notify(tx, inst, member, row, "favourite")
            if inboxes:
                await queue_publication(tx, inst, member, like, inboxes)
    inst.wake_delivery.set()
    return row


async def unfavourite(inst: Instance, member: LocalActor, status_id: int) -> StatusRow:
    row, me, found = await _mine(inst, member, status_id, "Like")
    if found is None:
        return row
    inboxes = await _author_inbox(inst, row)
    undo = activities.undo(inst.urls.base, me, _embedded(found)) | {"to": [row.author]}
    async with inst.db.transaction() as tx:
        if await reactions.remove(tx, found) and inboxes:
            await queue_publication(tx, inst, member, undo, inboxes)
    inst.wake_delivery.set()
    return row


def _announce_addressing(me: str, author: str, visibility: str) -> tuple[list[str], list[str]]:
    followers = f"{me}/followers"
    if visibility == "unlisted":
        return [followers], [PUBLIC, author]
    if visibility == "private":
        return [followers], [author]
    return [PUBLIC], [followers, author]


async def reblog(
    inst: Instance, member: LocalActor, status_id: int, visibility: str = "public"
) -> StatusRow:
    """Boost a public or unlisted status (or a private one of the member's own, as
    Mastodon allows); return the boost (a status of the member's)."""
    _check(member)
    row = await target(inst, member, status_id)
    if not can_boost(inst, member, row):
        raise Forbidden("This action is not allowed")
    if visibility not in ("public", "unlisted", "private"):
        raise Unprocessable("visibility: public, unlisted or private")
    if row.visibility == "private":
        visibility = "private"  # a self-boost reaches the same followers, no one else
    me = actor_id(inst.urls, member)
    already = await reactions.find(inst.db, "Announce", me, row.uri)
    if already is not None:
        existing = await status_index.by_uri(inst.db, already.activity_id)
        if existing is not None:
            return existing
    now = inst.clock()
    to, cc = _announce_addressing(me, row.author, visibility)
    announce = activities.announce(inst.urls.base, me, row.uri, now, to=to, cc=cc)
    inboxes = await _boost_inboxes(inst, me, row)
    async with inst.db.transaction() as tx:
        if await reactions.add(tx, announce["id"], "Announce", me, row.uri, iso(now)):
            await status_index.index_reblog(
                tx,
                uri=announce["id"],
                author=me,
                local_actor_id=member.id,
                reblog_of=row.id,
                visibility=visibility,
                published=announce["published"],
                now=now,
            )
            await _notify(tx, inst, member, row, "reblog")
            await queue_publication(tx, inst, member, announce, inboxes)
    inst.wake_delivery.set()
    boost = await status_index.by_uri(inst.db, announce["id"])
    if boost is None:
        raise RuntimeError(f"boost {announce['id']} was not indexed")
    return boost


async def unreblog(inst: Instance, member: LocalActor, status_id: int) -> StatusRow:
    """Undo the member's boost of a status; return the status boosted."""
    row, me, found = await _mine(inst, member, status_id, "Announce")
    if found is None:
        return row
    inboxes = await _boost_inboxes(inst, me, row)
    undo = activities.undo(inst.urls.base, me, _embedded(found))
    undo |= {"to": [PUBLIC], "cc": [f"{me}/followers", row.author]}
    async with inst.db.transaction() as tx:
        if await reactions.remove(tx, found):
            await status_index.unreblog(tx, me, row.id)
            await queue_publication(tx, inst, member, undo, inboxes)
    inst.wake_delivery.set()
    return row


async def bookmark(inst: Instance, member: LocalActor, status_id: int) -> StatusRow:
    row = await target(inst, member, status_id)
    async with inst.db.transaction() as tx:
        await bookmarks.add(tx, member.id, row.id, inst.clock().timestamp())
    return row


async def unbookmark(inst: Instance, member: LocalActor, status_id: int) -> StatusRow:
    row = await target(inst, member, status_id)
    async with inst.db.transaction() as tx:
        await bookmarks.remove(tx, member.id, row.id)
    return row
