"""What a listing's author does with the responses: read them, write in a conversation,
answer a responder, and tell the others when the listing has gone.

Functions for the client API and the pages (routes live elsewhere). Each checks that
`author` wrote the listing; refusals are `fedishare.core.errors.Refusal`s. A responder may
be another server's actor or one of our members (whose messages stay here).

After `fedishare.listings.service.mark_done` (and its publication), call
`notify_gone(inst, listing_id, except_responder=<the one who got it>)`: every other responder
gets a short direct note, once. Accepting a responder does not reserve the listing: call
`service.reserve` for that.
"""

from __future__ import annotations

import logging

from fedishare.context import Instance
from fedishare.core.activitystreams import new_id
from fedishare.core.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from fedishare.core.listing import Listing
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.federation.errors import FetchError
from fedishare.listings import outgoing
from fedishare.listings import response_activities as wire
from fedishare.listings.outgoing import Outgoing, Recipient
from fedishare.listings.sanitize import clean_html, html_to_text
from fedishare.storage import conversations as store
from fedishare.storage import listings
from fedishare.storage.actors import LocalActor
from fedishare.storage.conversations import Answer, Comment, Conversation, Message, Responder

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 5_000
DECISIONS: tuple[Answer, ...] = ("accept", "tentative", "reject")


async def _own(inst: Instance, author: LocalActor, listing_id: str) -> Listing:
    if author.kind != "person" or author.disabled:
        raise Forbidden("only an active member can answer responses")
    listing = await listings.get(inst.db, listing_id)
    if listing is None or not listing.is_local:
        raise NotFound("no such listing")
    if listing.author != actor_id(inst.urls, author):
        raise Forbidden("only the author can see and answer the responses to a listing")
    return listing


async def _responder(inst: Instance, listing: Listing, responder: str) -> Recipient:
    if await store.get_responder(inst.db, listing.id, responder) is None:
        raise NotFound("that actor has not responded to this listing")
    try:
        return await outgoing.recipient(inst, responder)
    except FetchError as e:
        raise Unprocessable(f"cannot reach {responder}: {e.reason}") from None


# Reading


async def list_responders(inst: Instance, author: LocalActor, listing_id: str) -> list[Responder]:
    """Everyone who responded (privately, publicly, by Offer or Join), first come first."""
    listing = await _own(inst, author, listing_id)
    return await store.responders(inst.db, listing.id)


async def list_conversations(
    inst: Instance, author: LocalActor, listing_id: str
) -> list[Conversation]:
    """The private conversations of a listing, the most recently active first."""
    listing = await _own(inst, author, listing_id)
    return await store.conversations(inst.db, listing.id)


async def conversation_messages(
    inst: Instance, author: LocalActor, listing_id: str, responder: str
) -> list[Message]:
    """The messages with one responder, oldest first (each with its document)."""
    listing = await _own(inst, author, listing_id)
    conversation = await store.find_conversation(inst.db, listing.id, responder)
    if conversation is None:
        raise NotFound("no conversation with that actor about this listing")
    return await store.messages(inst.db, conversation.id)


async def list_comments(inst: Instance, author: LocalActor, listing_id: str) -> list[Comment]:
    """All comments, followers-only ones included (see `Comment.visibility`), oldest first."""
    listing = await _own(inst, author, listing_id)
    return await store.comments(inst.db, listing.id)


async def public_comments(inst: Instance, listing_id: str) -> list[Comment]:
    """The public and unlisted comments of one of our listings, for anyone to see."""
    listing = await listings.get(inst.db, listing_id)
    if listing is None or not listing.is_local:
        raise NotFound("no such listing")
    return await store.comments(inst.db, listing.id, ("public", "unlisted"))


# Writing


def clean_message(content_html: str) -> str:
    """A message as it is sent: clean HTML with something to say, or Invalid."""
    if not isinstance(content_html, str):
        raise Invalid("content: HTML text")
    if len(content_html) > MAX_MESSAGE_CHARS:
        raise Invalid(f"content: longer than {MAX_MESSAGE_CHARS} characters")
    content = clean_html(content_html).strip()
    if not html_to_text(content):
        raise Invalid("content: say something")
    return content


async def send_message(
    inst: Instance, author: LocalActor, listing_id: str, responder: str, content_html: str
) -> JSON:
    """Write to a responder privately: a direct Note (mentioning them, in reply to their
    latest message or comment, else to the listing) delivered to their inbox. Opens the
    conversation if they had only commented. Returns the Create."""
    listing = await _own(inst, author, listing_id)
    content = clean_message(content_html)
    recipient = await _responder(inst, listing, responder)
    target = await outgoing.reply_target(inst, listing, responder)
    note_id = new_id(inst.urls.base, "objects")
    note = outgoing.note_to(inst, note_id, listing.author, recipient, content, target)
    activity = wire.create_direct(note)
    out = Outgoing(activity, note=note, kind="note", opens=True)
    await outgoing.send(inst, author, listing.id, recipient, out)
    return activity


async def answer_response(
    inst: Instance, author: LocalActor, listing_id: str, responder: str, decision: Answer
) -> JSON:
    """The author's answer to a responder: "accept", "tentative" or "reject".

    A responder who sent an Offer or a Join gets `Accept`, `TentativeAccept` or `Reject` of
    their latest one; anyone else (a Mastodon reply) gets a short direct note saying so.
    A closed listing can only be answered "reject". Returns the activity sent."""
    if decision not in DECISIONS:
        raise Invalid("decision: accept, tentative or reject")
    listing = await _own(inst, author, listing_id)
    if decision != "reject" and not listing.is_live:
        raise Conflict(f"a listing that is {listing.status} can only be answered no")
    recipient = await _responder(inst, listing, responder)
    conversation = await store.find_conversation(inst.db, listing.id, responder)
    offer = None
    if conversation is not None:
        offer_id = await store.last_message(
            inst.db, conversation.id, direction="in", kinds=("offer", "join")
        )
        found = None if offer_id is None else await store.find_message(inst.db, offer_id)
        offer = None if found is None else found[0].document
    if offer is not None:
        activity = wire.answer(
            new_id(inst.urls.base),
            listing.author,
            decision,
            offer,
            outgoing.now_iso(inst),
        )
        out = Outgoing(activity, kind=decision, opens=True, answer=decision)
    else:
        target = await outgoing.reply_target(inst, listing, responder)
        text = wire.answer_text(listing, decision)
        note_id = new_id(inst.urls.base, "objects")
        note = outgoing.note_to(inst, note_id, listing.author, recipient, text, target)
        activity = wire.create_direct(note)
        out = Outgoing(activity, note=note, kind=decision, opens=True, answer=decision)
    await outgoing.send(inst, author, listing.id, recipient, out)
    return activity


async def notify_gone(
    inst: Instance, listing_id: str, except_responder: str | None = None
) -> list[str]:
    """Tell every responder of a closed listing, but `except_responder` and the one it is
    reserved for, that it has gone: one short direct note each, ever. Returns who was told
    now. A responder whose server cannot be reached now is skipped and told on a later
    call. Call it after `service.mark_done` (or a withdrawal) has been stored."""
    listing = await listings.get(inst.db, listing_id)
    if listing is None or not listing.is_local:
        raise NotFound("no such listing")
    if listing.is_live:
        raise Conflict(f"the listing is still {listing.status}")
    told = []
    for responder in await store.responders(inst.db, listing.id):
        if responder.responder == except_responder or responder.gone_note is not None:
            continue
        try:
            if await outgoing.tell_gone(inst, listing, responder.responder):
                told.append(responder.responder)
        except FetchError as e:
            log.info("cannot tell %s that %s has gone: %s", responder.responder, listing.id, e)
    return told
