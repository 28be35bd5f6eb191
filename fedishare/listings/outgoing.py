"""Sending a note about a listing: to a responder on behalf of the listing's author, or to the
author from one of our members who answers it.

Each send records what it is (a message of the conversation, or a note the responder gets
once), keeps its Note in `objects` and queues its delivery, all in one transaction: a send
that is recorded is queued, and one seen as done (the same id, or the responder told
already) is not queued again. Notes the server writes by itself (how to respond privately,
that the listing has gone) get ids derived from what they answer, so that an inbox item
processed twice sends them once.

A recipient who is one of our own members is not delivered to: the recorded message is
where they read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.accounts.members import local_actor_for
from fedishare.context import Instance
from fedishare.core.activitystreams import iso
from fedishare.core.listing import Listing
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.listings import response_activities as wire
from fedishare.notifications.record import record
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.publish import queue_publication
from fedishare.storage import conversations as store
from fedishare.storage import objects, statuses
from fedishare.storage.actors import LocalActor
from fedishare.storage.conversations import Answer, Direction, MessageKind, Told
from fedishare.storage.database import Transaction


@dataclass(frozen=True)
class Recipient:
    """Whom a note goes to: their actor id, the names a mention gives them, and the inbox it
    is delivered to (None for one of our members, who reads it here)."""

    id: str
    username: str
    handle: str  # @user@host
    inbox: str | None


async def recipient(inst: Instance, actor: str) -> Recipient:
    """One of our members, or another server's actor (fetched when not cached: raises
    FetchError when it cannot be had)."""
    local = await local_actor_for(inst, actor)
    if local is not None:
        handle = f"@{local.username}@{inst.config.instance.domain}"
        return Recipient(actor, local.username, handle, None)
    remote = await get_remote_actor(inst, actor)
    return Recipient(remote.id, remote.preferred_username, remote.handle, remote.delivery_inbox)


@dataclass(frozen=True)
class Outgoing:
    """An activity for one responder, and what sending it records."""

    activity: JSON
    note: JSON | None = None  # the Note the activity creates, kept in `objects`
    kind: MessageKind | None = None  # recorded as a message of the conversation, if any
    opens: bool = False  # open the conversation when there is none yet
    told: Told | None = None  # the responder is told this once only
    answer: Answer | None = None  # the conversation's answer becomes this
    direction: Direction = "out"  # "in": a responder writes to the listing's author

    @property
    def object_id(self) -> str:
        return str((self.note or self.activity)["id"])


def now_iso(inst: Instance) -> str:
    return iso(inst.clock())


async def author_of(inst: Instance, listing: Listing) -> LocalActor | None:
    """The member who wrote one of our listings, if they may still speak for it."""
    actor = await local_actor_for(inst, listing.author)
    if actor is None or actor.kind != "person" or actor.disabled:
        return None
    return actor


async def send(
    inst: Instance, sender: LocalActor, listing_id: str, to: Recipient, out: Outgoing
) -> bool:
    """Record `out` and queue it for the recipient's inbox, if they have one here to be
    delivered to; False if it was sent already."""
    at = now_iso(inst)
    # One of our members reads the note here: stored below, it notifies them as a mention.
    reader = None if to.inbox is not None else await local_actor_for(inst, to.id)
    # Whose conversation it is: the recipient's when the author writes, else the sender's.
    responder = to.id if out.direction == "out" else actor_id(inst.urls, sender)
    async with inst.db.transaction() as tx:
        if out.told is not None:
            await store.add_responder(tx, listing_id, responder, at)
            if not await store.mark_told(tx, listing_id, responder, out.told, out.object_id):
                return False
        conversation: int | None = None
        if out.opens:
            conversation = await store.open_conversation(tx, listing_id, responder, at)
        else:
            found = await store.find_conversation(tx, listing_id, responder)
            conversation = None if found is None else found.id
        if conversation is not None and out.kind is not None:
            document = None if out.note is not None else out.activity
            recorded = await store.add_message(
                tx, conversation, out.object_id, out.direction, out.kind, at, document
            )
            if not recorded:
                return False
            if out.answer is not None:
                await store.set_answer(tx, conversation, out.answer)
        if out.note is not None:
            in_reply_to = out.note.get("inReplyTo")
            await objects.insert(
                tx,
                out.note,
                attributed_to=out.note["attributedTo"],
                published=out.note["published"],
                in_reply_to=in_reply_to if isinstance(in_reply_to, str) else None,
                local_actor_id=sender.id,
                now=inst.clock(),
            )
            if reader is not None:
                await _notify_reader(tx, inst, reader, out.note)
        inboxes = [] if to.inbox is None else [to.inbox]
        await queue_publication(tx, inst, sender, out.activity, inboxes)
    inst.wake_delivery.set()
    return True


async def _notify_reader(tx: Transaction, inst: Instance, reader: LocalActor, note: JSON) -> None:
    """A direct note to one of our members (a reservation, a listing gone, an answer) is a
    mention of them, as a remote responder's server shows it."""
    row = await statuses.by_uri(tx, str(note["id"]))
    if row is not None:
        await record(
            tx,
            recipient_id=reader.id,
            type="mention",
            from_actor=str(note["attributedTo"]),
            status_id=row.id,
            at=inst.clock(),
        )


def note_to(
    inst: Instance, note_id: str, sender: str, to: Recipient, content: str, in_reply_to: str
) -> JSON:
    """A direct note from `sender` (an actor id) to `to` only, mentioning them first."""
    text = wire.with_mention(content, to.id, to.username)
    return wire.direct_note(note_id, sender, to.id, to.handle, text, in_reply_to, now_iso(inst))


async def reply_target(inst: Instance, listing: Listing, responder: str) -> str:
    """What a note to the responder replies to: their latest message or comment, else the
    listing itself."""
    return await store.latest_from(inst.db, listing.id, responder) or listing.id


async def tell_howto(inst: Instance, listing: Listing, responder: str, in_reply_to: str) -> bool:
    """Tell someone who replied publicly how to respond privately: once per listing, and
    not if they already converse privately. False if nothing was sent."""
    told = await store.get_responder(inst.db, listing.id, responder)
    if told is not None and told.howto_note is not None:
        return False
    if await store.find_conversation(inst.db, listing.id, responder) is not None:
        return False
    sender = await author_of(inst, listing)
    if sender is None:
        return False
    to = await recipient(inst, responder)
    note_id = wire.derived_id(inst.urls.base, "objects", "howto", listing.id, responder)
    note = note_to(inst, note_id, listing.author, to, wire.howto_text(listing), in_reply_to)
    out = Outgoing(wire.create_direct(note), note=note, told="howto")
    return await send(inst, sender, listing.id, to, out)


async def tell_gone(inst: Instance, listing: Listing, responder: str) -> bool:
    """Tell a responder that the (closed) listing has gone: once, and never the one it went
    to (`reservedFor`). False if nothing was sent."""
    if listing.is_live or responder == listing.reserved_for:
        return False
    told = await store.get_responder(inst.db, listing.id, responder)
    if told is not None and told.gone_note is not None:
        return False
    sender = await author_of(inst, listing)
    if sender is None:
        return False
    to = await recipient(inst, responder)
    note_id = wire.derived_id(inst.urls.base, "objects", "gone", listing.id, responder)
    target = await reply_target(inst, listing, responder)
    note = note_to(inst, note_id, listing.author, to, wire.gone_text(listing), target)
    out = Outgoing(wire.create_direct(note), note=note, kind="gone", told="gone")
    return await send(inst, sender, listing.id, to, out)
