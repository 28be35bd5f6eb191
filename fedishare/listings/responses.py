"""Responses to our listings as they arrive: replies, FEP-0837 Offers, and Joins of stays.

A reply belongs to a listing when its `inReplyTo` is one of our listings, or a message of
one of its conversations, or a note we sent the replier about it. Its addressing decides
what it is (see `response_activities.visibility_of`):
- direct (mentioned people only, the author among them): a message of the private
  conversation of (listing, replier);
- public, unlisted or followers-only: a comment of the listing; the author then tells the
  replier once, by a direct note, how to respond privately (unless they already do).
A reply to a listing that has closed gets, once, a note that it has gone instead.

When one of our members has answered another server's listing
(`fedishare.listings.answering`), its author's direct reply to a message of that
conversation, addressed to the member, is a message of it too.

An `Offer` (of an `Agreement` whose commitments satisfy the listing's intents, or naming
the listing) or a `Join` of a listing opens the conversation too, and is answered at once:
`TentativeAccept` while the listing is open or reserved (the author decides later, with
`fedishare.listings.conversations.answer_response`), `Reject` once it is closed or deleted.

Every step is idempotent: an inbox item may be processed more than once.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fedishare.accounts.members import local_actor_for
from fedishare.context import Instance
from fedishare.core.activitystreams import id_of, ids_of, iso, parse_iso
from fedishare.core.listing import Listing
from fedishare.core.types import JSON
from fedishare.listings import outgoing
from fedishare.listings import response_activities as wire
from fedishare.listings.outgoing import Outgoing
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.publish import publish
from fedishare.storage import conversations as store
from fedishare.storage import listings, outbox
from fedishare.storage import remote_actors as cached_actors
from fedishare.storage.conversations import Answer, MessageKind


async def _local_listing(inst: Instance, listing_id: str) -> Listing | None:
    listing = await listings.get(inst.db, listing_id)
    return listing if listing is not None and listing.is_local else None


async def listing_replied_to(inst: Instance, in_reply_to: str, replier: str) -> Listing | None:
    """The listing of ours a reply to `in_reply_to` by `replier` responds to, if any."""
    if inst.urls.is_ours(in_reply_to):
        listing = await _local_listing(inst, in_reply_to)
        if listing is not None:
            return listing
    thread = await store.thread_of(inst.db, in_reply_to)
    if thread is None or thread[1] != replier:
        return None  # a conversation is between the author and one responder
    return await _local_listing(inst, thread[0])


def _published(inst: Instance, doc: JSON) -> str:
    """When the responder sent it, as our times are written; never later than now (their
    clock is theirs), and now when they do not say."""
    now = inst.clock()
    sent = parse_iso(doc.get("published"))
    if sent is None or sent > now:
        sent = now
    return iso(sent.astimezone(UTC))


async def _visibility(inst: Instance, doc: JSON, replier: str) -> wire.Visibility:
    known = await cached_actors.get(inst.db, replier)
    return wire.visibility_of(doc, None if known is None else known.followers)


async def take_reply(inst: Instance, doc: JSON, replier: str) -> None:
    """Take a kept object (already stored in `objects` by the replies handler) as a
    response, if it replies to one of our listings. `replier` is its verified author."""
    object_id, in_reply_to = id_of(doc), id_of(doc.get("inReplyTo"))
    if object_id is None or in_reply_to is None:
        return
    listing = await listing_replied_to(inst, in_reply_to, replier)
    if listing is None:
        await _take_author_reply(inst, doc, object_id, in_reply_to, replier)
        return
    if replier == listing.author:
        return
    visibility = await _visibility(inst, doc, replier)
    # Responders are in the order we heard from them; messages carry their own time.
    published, now = _published(inst, doc), outgoing.now_iso(inst)
    if visibility == "direct":
        if listing.author not in wire.addressees(doc):
            return  # a private reply that the author is not part of
        async with inst.db.transaction() as tx:
            conversation = await store.open_conversation(tx, listing.id, replier, now)
            await store.add_message(tx, conversation, object_id, "in", "note", published)
        if not listing.is_live:
            await outgoing.tell_gone(inst, listing, replier)
        return
    async with inst.db.transaction() as tx:
        await store.add_responder(tx, listing.id, replier, now)
        await store.add_comment(tx, listing.id, object_id, replier, visibility, published)
    if listing.is_live:
        await outgoing.tell_howto(inst, listing, replier, object_id)
    else:
        await outgoing.tell_gone(inst, listing, replier)


async def _take_author_reply(
    inst: Instance, doc: JSON, object_id: str, in_reply_to: str, replier: str
) -> None:
    """A direct reply by another server's listing author to a message of one of our
    members' conversations about that listing: the author's message in it."""
    thread = await store.thread_of(inst.db, in_reply_to)
    if thread is None:
        return
    listing_id, responder = thread
    origin = await store.listing_origin(inst.db, listing_id)
    if origin != (replier, True) or responder not in wire.addressees(doc):
        return  # only the listing's author, writing to the member
    if await _visibility(inst, doc, replier) != "direct":
        return  # a public answer is no private message
    published, now = _published(inst, doc), outgoing.now_iso(inst)
    async with inst.db.transaction() as tx:
        conversation = await store.open_conversation(tx, listing_id, responder, now)
        await store.add_message(tx, conversation, object_id, "out", "note", published)


def _without_fragment(url: str) -> str:
    return url.partition("#")[0]


def offered_ids(activity: JSON) -> list[str]:
    """The ids an Offer or Join may name a listing by, most specific first: the intents an
    Agreement's commitments satisfy (`<listing>#primary`), the object itself, `target`,
    `inReplyTo`, and the same on the object."""
    found: list[str] = []
    obj: Any = activity.get("object")
    if isinstance(obj, dict):
        for key in ("stipulates", "stipulatesReciprocal", "clauses"):
            value = obj.get(key)
            for commitment in value if isinstance(value, list) else [value]:
                if isinstance(commitment, dict):
                    found += ids_of(commitment.get("satisfies"))
    found += ids_of(obj)
    for source in (activity, obj if isinstance(obj, dict) else {}):
        found += ids_of(source.get("target")) + ids_of(source.get("inReplyTo"))
    return list(dict.fromkeys(_without_fragment(i) for i in found))


async def _offered_listing(inst: Instance, activity: JSON) -> tuple[Listing | None, str | None]:
    """(the live-or-closed listing of ours that an Offer or Join names, None) or, when it
    names a deleted one of ours, (None, that listing's author)."""
    for listing_id in offered_ids(activity):
        if not inst.urls.is_ours(listing_id):
            continue
        listing = await _local_listing(inst, listing_id)
        if listing is not None:
            return listing, None
        found = await store.listing_author(inst.db, listing_id)
        if found is not None and found[1]:
            return None, found[0]
    return None, None


async def take_offer(inst: Instance, activity: JSON, responder: str) -> None:
    """An Offer or Join from `responder` (its verified actor) of one of our listings:
    record it in their conversation and answer it."""
    offer_id = id_of(activity)
    if offer_id is None:
        return
    listing, deleted_by = await _offered_listing(inst, activity)
    if listing is None:
        if deleted_by is not None:  # nothing left to agree on; nothing recorded either
            await _refuse_for_deleted(inst, deleted_by, activity, responder)
        return
    if responder == listing.author:
        return
    kind: MessageKind = "join" if activity.get("type") == "Join" else "offer"
    published, now = _published(inst, activity), outgoing.now_iso(inst)
    async with inst.db.transaction() as tx:
        conversation = await store.open_conversation(tx, listing.id, responder, now)
        await store.add_message(tx, conversation, offer_id, "in", kind, published, activity)
        current = await store.find_conversation(tx, listing.id, responder)
    decided = None if current is None else current.answer
    decision: Answer = "reject"
    if listing.is_live:
        # A responder the author already answered gets the same answer again.
        decision = decided if decided in ("accept", "reject") else "tentative"
    sender = await outgoing.author_of(inst, listing)
    if sender is None:
        return
    recipient = await outgoing.recipient(inst, responder)
    answer_id = wire.derived_id(inst.urls.base, "activities", decision, offer_id)
    activity = wire.answer(answer_id, listing.author, decision, activity, outgoing.now_iso(inst))
    out = Outgoing(activity, kind=decision, answer=decision)
    await outgoing.send(inst, sender, listing.id, recipient, out)


async def _refuse_for_deleted(inst: Instance, author: str, original: JSON, responder: str) -> None:
    sender = await local_actor_for(inst, author)
    answer_id = wire.derived_id(inst.urls.base, "activities", "reject", str(original["id"]))
    if sender is None or await outbox.get_activity(inst.db, answer_id) is not None:
        return
    recipient = await get_remote_actor(inst, responder)
    activity = wire.answer(answer_id, author, "reject", original, outgoing.now_iso(inst))
    await publish(inst, sender, activity, [recipient.delivery_inbox])
