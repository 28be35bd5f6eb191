"""One of our members answering a listing privately: ours or another server's.

The answer is a direct Note to the listing's author only, replying to the author's latest
note in the conversation (else to the listing), and it opens the conversation of (listing,
member). An author of this instance reads it here, with nothing sent over the network; an
author elsewhere gets it in their inbox, as a Mastodon user's direct reply would come, and
their direct replies back join the conversation (`fedishare.listings.responses.take_reply`).
The member writes again through the same function.
"""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.core.activitystreams import new_id
from fedishare.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from fedishare.core.listing import Listing
from fedishare.federation.actor_document import actor_id
from fedishare.federation.errors import FetchError
from fedishare.listings import outgoing
from fedishare.listings import response_activities as wire
from fedishare.listings.audience import may_see
from fedishare.listings.conversations import clean_message
from fedishare.listings.outgoing import Outgoing
from fedishare.storage import conversations as store
from fedishare.storage import listings
from fedishare.storage.actors import LocalActor
from fedishare.storage.conversations import Conversation


async def answerable(inst: Instance, member: LocalActor, listing_id: str) -> Listing:
    """The listing `member` may answer: a live one they did not write and may see, or one
    they already converse about (a conversation goes on after the listing closes, or after
    they stopped following the author of a followers-only one)."""
    if member.kind != "person" or member.disabled:
        raise Forbidden("only an active member can answer a listing")
    listing = await listings.get(inst.db, listing_id)
    me = actor_id(inst.urls, member)
    if listing is None:
        raise NotFound("no such listing")
    ongoing = await store.find_conversation(inst.db, listing.id, me) is not None
    if not ongoing and not await may_see(inst.db, me, listing):
        raise NotFound("no such listing")
    if listing.author == me:
        raise Forbidden("this is your own listing: its answers are in your conversations")
    if not listing.is_live and not ongoing:
        raise Conflict(f"this listing is {listing.status}: it takes no more answers")
    return listing


async def answer_listing(
    inst: Instance, member: LocalActor, listing_id: str, content_html: str
) -> Conversation:
    """Send `member`'s message to the listing's author; returns the conversation."""
    listing = await answerable(inst, member, listing_id)
    content = clean_message(content_html)
    try:
        author = await outgoing.recipient(inst, listing.author)
    except FetchError as e:
        raise Unprocessable(f"cannot reach the author of this listing: {e.reason}") from None
    me = actor_id(inst.urls, member)
    found = await store.find_conversation(inst.db, listing.id, me)
    target = None
    if found is not None:
        target = await store.last_message(inst.db, found.id, direction="out", kinds=("note",))
    note_id = new_id(inst.urls.base, "objects")
    note = outgoing.note_to(inst, note_id, me, author, content, target or listing.id)
    out = Outgoing(wire.create_direct(note), note=note, kind="note", opens=True, direction="in")
    await outgoing.send(inst, member, listing.id, author, out)
    conversation = await store.find_conversation(inst.db, listing.id, me)
    assert conversation is not None  # opened by the send
    return conversation
